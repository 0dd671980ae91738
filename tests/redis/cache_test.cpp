// The cache layer on every backend: read-through, single flight under a 1,000-caller stampede,
// the cross-process lock, stale-while-revalidate and stale-if-error windows, negative caching,
// oversize values, tags, XFetch, L1 invalidation across store handles; on Redis also the
// fallbacks and the breaker with a killed server.
#include "support/backends.hpp"
#include "support/store_helpers.hpp"

#include <redkit/cache.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <stdexcept>
#include <thread>

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
namespace rc = redkit::cache;

/// Waits up to `limit` for `done()`; true if it came true.
template <typename Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = 5s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return done();
}

class Cache : public backend_test {
 protected:
  rc::options quiet(std::string name = "t") {
    rc::options o;
    o.name = std::move(name);
    o.ttl_jitter = 0;
    o.log = [this](std::string_view line) {
      std::lock_guard lock(mu_);
      logged_.emplace_back(line);
    };
    return o;
  }

  /// A blocking loader that counts its calls and returns `value`.
  rc::blocking_loader counting(std::atomic<int>& calls, std::optional<std::string> value) {
    return [&calls, value] {
      ++calls;
      return value;
    };
  }

  std::mutex mu_;
  std::vector<std::string> logged_;
};

TEST_P(Cache, ReadsThroughAndServesHits) {
  rc::cache c(store_, quiet());
  std::atomic<int> calls{0};
  EXPECT_EQ(c.get("k"), std::nullopt);
  EXPECT_EQ(c.get_or_load("k", counting(calls, "v1")), "v1");
  EXPECT_EQ(c.get_or_load("k", counting(calls, "other")), "v1");
  EXPECT_EQ(c.get("k"), "v1");
  EXPECT_EQ(calls, 1);
  const auto m = c.metrics();
  EXPECT_EQ(m.loads, 1u);
  EXPECT_EQ(m.misses, 2u);  // the first get and the first get_or_load
  EXPECT_EQ(m.l1_hits + m.l2_hits, 2u);
  EXPECT_DOUBLE_EQ(m.hit_ratio(), 0.5);
  // The entry is a hash on the store with the documented fields.
  const auto f = store_->exec(command{"HGET", c.key("k"), "v"});
  EXPECT_EQ(f.string, "v1");
  const auto ttl = store_->exec(command{"PTTL", c.key("k")});
  EXPECT_GT(ttl.integer, 50'000);
  EXPECT_LE(ttl.integer, 60'000);

  c.set("k", "v2");
  EXPECT_EQ(c.get("k"), "v2");
  EXPECT_TRUE(c.invalidate("k"));
  EXPECT_FALSE(c.invalidate("k"));
  EXPECT_EQ(c.get("k"), std::nullopt);
  EXPECT_EQ(c.get_or_load("k", counting(calls, "v3")), "v3");
  EXPECT_EQ(calls, 2);
}

TEST_P(Cache, ValuesAreBytes) {
  rc::cache c(store_, quiet());
  const std::string bin("a\0b\r\n\xff", 6);
  c.set("bin", bin);
  EXPECT_EQ(c.get("bin"), bin);
  c.set("empty", "");
  EXPECT_EQ(c.get("empty"), std::string());
  boost::json::value j = {{"name", "Ada"}, {"score", 42}, {"tags", {"a", "b"}}, {"ratio", 1.5}};
  c.set_json("j", j);
  EXPECT_EQ(c.get_json("j"), j);
  EXPECT_EQ(c.get_json("absent"), std::nullopt);
  c.set("notjson", "{");
  const auto e = error_from([&] { c.get_json("notjson"); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), errc::unexpected_reply);
}

TEST_P(Cache, ThousandConcurrentMissesCallTheLoaderOnce) {
  rc::cache c(store_, quiet());
  asio::thread_pool pool(4);
  std::atomic<int> calls{0};
  rc::loader slow = [&calls]() -> asio::awaitable<std::optional<std::string>> {
    ++calls;
    asio::steady_timer t(co_await asio::this_coro::executor, 50ms);
    co_await t.async_wait(asio::use_awaitable);
    co_return "loaded";
  };
  std::vector<std::future<std::optional<std::string>>> results;
  for (int i = 0; i < 1000; ++i) {
    results.push_back(asio::co_spawn(pool, c.async_get_or_load("hot", slow), asio::use_future));
  }
  for (auto& r : results) EXPECT_EQ(r.get(), "loaded");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(c.metrics().loads, 1u);
  pool.join();
}

TEST_P(Cache, ALoaderErrorReachesEveryWaiter) {
  rc::cache c(store_, quiet());
  asio::thread_pool pool(2);
  std::atomic<int> calls{0};
  rc::loader failing = [&calls]() -> asio::awaitable<std::optional<std::string>> {
    ++calls;
    asio::steady_timer t(co_await asio::this_coro::executor, 30ms);
    co_await t.async_wait(asio::use_awaitable);
    throw std::runtime_error("source down");
  };
  std::vector<std::future<std::optional<std::string>>> results;
  for (int i = 0; i < 100; ++i) {
    results.push_back(asio::co_spawn(pool, c.async_get_or_load("x", failing), asio::use_future));
  }
  for (auto& r : results) EXPECT_THROW(r.get(), std::runtime_error);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(c.metrics().load_errors, 1u);
  EXPECT_EQ(c.get("x"), std::nullopt);  // nothing was stored
  pool.join();
}

TEST_P(Cache, TheLockLetsOneProcessLoad) {
  // Two caches on two store handles (two processes' worth), both missing the same key.
  auto o = quiet();
  o.lock = true;
  o.lock_wait = 3s;
  rc::cache a(store_, o);
  rc::cache b(open_store(), o);
  std::atomic<int> calls{0};
  auto slow = [&calls] {
    ++calls;
    std::this_thread::sleep_for(200ms);
    return std::optional<std::string>("once");
  };
  auto fa = std::async(std::launch::async, [&] { return a.get_or_load("k", slow); });
  auto fb = std::async(std::launch::async, [&] { return b.get_or_load("k", slow); });
  EXPECT_EQ(fa.get(), "once");
  EXPECT_EQ(fb.get(), "once");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(a.metrics().lock_waits + b.metrics().lock_waits, 1u);
}

TEST_P(Cache, StaleWhileRevalidateServesStaleAndRefreshesInTheBackground) {
  auto o = quiet();
  o.ttl = 300ms;
  o.stale_while_revalidate = 1s;
  rc::cache c(store_, o);
  std::atomic<int> calls{0};
  auto versions = [&calls] { return std::optional<std::string>("v" + std::to_string(++calls)); };
  EXPECT_EQ(c.get_or_load("k", versions), "v1");
  advance(500ms);  // past fresh, inside the window
  EXPECT_EQ(c.get_or_load("k", versions), "v1");
  EXPECT_EQ(c.metrics().stale_served, 1u);
  ASSERT_TRUE(eventually([&] { return c.get("k") == "v2"; }));
  EXPECT_EQ(calls, 2);
  advance(1600ms);  // past the window too: a plain miss, loaded in the foreground
  EXPECT_EQ(c.get_or_load("k", versions), "v3");
}

TEST_P(Cache, StaleIfErrorServesStaleWhileTheSourceFails) {
  auto o = quiet();
  o.ttl = 300ms;
  o.stale_if_error = 1s;
  rc::cache c(store_, o);
  bool fail = false;
  auto source = [&fail]() -> std::optional<std::string> {
    if (fail) throw std::runtime_error("source down");
    return "good";
  };
  EXPECT_EQ(c.get_or_load("k", source), "good");
  fail = true;
  advance(500ms);  // stale, inside stale-if-error
  EXPECT_EQ(c.get_or_load("k", source), "good");
  EXPECT_EQ(c.metrics().stale_served, 1u);
  EXPECT_EQ(c.metrics().load_errors, 1u);
  advance(1s);  // past the window: the error reaches the caller
  EXPECT_THROW(c.get_or_load("k", source), std::runtime_error);
}

TEST_P(Cache, AbsencesAreCachedForTheirOwnTtl) {
  auto o = quiet();
  o.negative_ttl = 300ms;
  rc::cache c(store_, o);
  std::atomic<int> calls{0};
  EXPECT_EQ(c.get_or_load("nobody", counting(calls, std::nullopt)), std::nullopt);
  EXPECT_EQ(c.get_or_load("nobody", counting(calls, std::nullopt)), std::nullopt);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(c.metrics().negative_hits, 1u);
  advance(500ms);
  EXPECT_EQ(c.get_or_load("nobody", counting(calls, "found now")), "found now");
  EXPECT_EQ(calls, 2);

  o.name = "noneg";
  o.negative_ttl = 0ms;  // off
  rc::cache n(store_, o);
  calls = 0;
  n.get_or_load("nobody", counting(calls, std::nullopt));
  n.get_or_load("nobody", counting(calls, std::nullopt));
  EXPECT_EQ(calls, 2);
}

TEST_P(Cache, OversizeValuesAreReturnedButNotCached) {
  auto o = quiet();
  o.max_value_bytes = 10;
  rc::cache c(store_, o);
  std::atomic<int> calls{0};
  const std::string big(20, 'x');
  EXPECT_EQ(c.get_or_load("big", counting(calls, big)), big);
  EXPECT_EQ(c.get_or_load("big", counting(calls, big)), big);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(c.metrics().oversize, 2u);
  c.set("small", "fits");
  c.set("small", big);  // an oversize set drops the older value instead of keeping it
  EXPECT_EQ(c.get("small"), std::nullopt);
  EXPECT_EQ(store_->exec(command{"EXISTS", c.key("big")}).integer, 0);
}

TEST_P(Cache, TagsInvalidateEveryEntryCarryingThem) {
  rc::cache c(store_, quiet());
  c.set("a", "1", {.tags = {"user:1"}});
  c.set("b", "2", {.tags = {"user:1", "team:7"}});
  c.set("c", "3", {.tags = {"team:7"}});
  c.set("d", "4");
  EXPECT_EQ(c.invalidate_tag("user:1"), 2u);
  EXPECT_EQ(c.get("a"), std::nullopt);
  EXPECT_EQ(c.get("b"), std::nullopt);
  EXPECT_EQ(c.get("c"), "3");
  EXPECT_EQ(c.get("d"), "4");
  EXPECT_EQ(c.invalidate_tag("user:1"), 0u);
  // A key rewritten without a tag is not dropped by that tag any more.
  c.set("c", "3b", {.tags = {"team:8"}});
  EXPECT_EQ(c.invalidate_tag("team:7"), 0u);
  EXPECT_EQ(c.get("c"), "3b");
  EXPECT_TRUE(error_from([&] { c.set("e", "x", {.tags = {""}}); }));
  EXPECT_TRUE(error_from([&] { c.invalidate_tag(std::string("a\0b", 3)); }));
}

TEST_P(Cache, EarlyRefreshRefreshesBeforeExpiry) {
  auto o = quiet();
  o.ttl = 2s;
  o.early_refresh_beta = 100;  // a 10 ms load makes a hit "near" expiry with p ~ 0.6
  rc::cache c(store_, o);
  std::atomic<int> calls{0};
  std::atomic<bool> release{false};
  auto timed = [&] {
    const auto n = ++calls;
    std::this_thread::sleep_for(10ms);
    // Refreshes hold until the test lets them go (2 s at most).
    for (int i = 0; n > 1 && !release && i < 2000; ++i) std::this_thread::sleep_for(1ms);
    return std::optional<std::string>("v" + std::to_string(n));
  };
  EXPECT_EQ(c.get_or_load("k", timed), "v1");
  // Hits go on being served from the cache while a refresh runs behind them: a hit that
  // waited for the refresh would return v2 after 2 s.
  std::optional<std::string> last;
  ASSERT_TRUE(eventually([&] {
    last = c.get_or_load("k", timed);
    return calls >= 2;
  }));
  EXPECT_EQ(last, "v1");
  EXPECT_EQ(c.get_or_load("k", timed), "v1");
  EXPECT_GE(c.metrics().early_refreshes, 1u);
  release = true;
  ASSERT_TRUE(eventually([&] { return c.get("k") != "v1"; }));
}

TEST_P(Cache, ASetDropsOtherProcessesL1CopiesWithin100ms) {
  auto o = quiet();
  o.l1.enabled = true;  // on the engine too
  rc::cache a(store_, o);
  rc::cache b(open_store(), o);
  EXPECT_TRUE(b.metrics().l1_live);
  std::atomic<int> calls{0};
  EXPECT_EQ(b.get_or_load("k", counting(calls, "old")), "old");
  EXPECT_EQ(b.get("k"), "old");
  EXPECT_GE(b.metrics().l1_hits, 1u);
  const auto t0 = std::chrono::steady_clock::now();
  a.set("k", "new");
  ASSERT_TRUE(eventually([&] { return b.get("k") == "new"; }, 2s));
  const auto took = std::chrono::steady_clock::now() - t0;
  std::printf("[ l1 ] other handle saw the set after %.2f ms\n",
              std::chrono::duration<double, std::milli>(took).count());
  EXPECT_LT(took, 100ms);
  EXPECT_GE(b.metrics().invalidations_received, 1u);
  // Invalidations and tags travel too.
  EXPECT_EQ(b.get("k"), "new");
  a.invalidate("k");
  ASSERT_TRUE(eventually([&] { return b.get("k") == std::nullopt; }, 100ms));
  b.set("t", "tagged", {.tags = {"x"}});
  EXPECT_EQ(a.get("t"), "tagged");
  b.invalidate_tag("x");
  ASSERT_TRUE(eventually([&] { return a.get("t") == std::nullopt; }, 100ms));
}

TEST_P(Cache, RejectsBadInput) {
  auto bad = [&](auto mutate) {
    auto o = quiet();
    mutate(o);
    const auto e = error_from([&] { rc::cache c(store_, o); });
    return e && e->code() == errc::invalid_argument;
  };
  EXPECT_TRUE(bad([](rc::options& o) { o.ttl = 0ms; }));
  EXPECT_TRUE(bad([](rc::options& o) { o.name = "a{b"; }));
  EXPECT_TRUE(bad([](rc::options& o) { o.ttl_jitter = 0.9; }));
  EXPECT_TRUE(bad([](rc::options& o) { o.breaker_threshold = 0; }));
  rc::cache c(store_, quiet());
  std::atomic<int> calls{0};
  EXPECT_TRUE(error_from([&] { c.get(""); }));
  EXPECT_TRUE(error_from([&] { c.get(std::string(1025, 'k')); }));
  EXPECT_TRUE(error_from([&] { c.get_or_load("k", counting(calls, "v"), {.ttl = -1ms}); }));
  EXPECT_TRUE(error_from([&] { c.get_or_load("k", rc::blocking_loader{}); }));
  EXPECT_EQ(calls, 0);
}

TEST_P(Cache, TtlJitterSpreadsExpiries) {
  auto o = quiet();
  o.ttl = 10s;
  o.ttl_jitter = 0.2;
  rc::cache c(store_, o);
  std::int64_t lo = INT64_MAX, hi = 0;
  for (int i = 0; i < 40; ++i) {
    const auto k = "j" + std::to_string(i);
    c.set(k, "v");
    const auto pttl = store_->exec(command{"PTTL", c.key(k)}).integer;
    lo = std::min(lo, pttl);
    hi = std::max(hi, pttl);
  }
  EXPECT_GE(lo, 7900);  // 10 s - 20 %, less the time the loop took
  EXPECT_LE(hi, 12000);
  EXPECT_GT(hi - lo, 1000);  // 40 uniform draws over 4 s
}

REDKIT_ALL_BACKENDS(Cache);

// Redis only: the store goes away and comes back.
class CacheOutage : public ::testing::Test {
 protected:
  rc::options options() {
    rc::options o;
    o.name = "outage";
    o.ttl_jitter = 0;
    o.timeout = 200ms;
    o.breaker_threshold = 3;
    o.breaker_open_for = 300ms;
    o.log = [](std::string_view) {};
    return o;
  }
  redis_server server_;
  std::shared_ptr<store> store_ = store::open(server_.url());
};

TEST_F(CacheOutage, CallsKeepReturningValuesAndTheBreakerSkipsTheStore) {
  rc::cache c(store_, options());
  std::atomic<int> calls{0};
  auto source = [&calls] {
    ++calls;
    return std::optional<std::string>("from source");
  };
  EXPECT_EQ(c.get_or_load("cached", source), "from source");  // now in L1 and L2
  server_.kill();
  // L1's copy, then the loader for keys L1 lacks: values, never exceptions.
  EXPECT_EQ(c.get_or_load("cached", source), "from source");
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(c.get_or_load("k" + std::to_string(i), source), "from source");
  }
  ASSERT_TRUE(c.metrics().breaker_open);
  std::vector<std::chrono::nanoseconds> ts;
  for (int i = 0; i < 200; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(c.get_or_load("m" + std::to_string(i), source), "from source");
    ts.push_back(std::chrono::steady_clock::now() - t0);
  }
  std::sort(ts.begin(), ts.end());
  std::printf("[ outage ] median get_or_load with the breaker open: %.1f us (timeout 200 ms)\n",
              std::chrono::duration<double, std::micro>(ts[ts.size() / 2]).count());
  EXPECT_LT(ts[ts.size() / 2], 20ms);
  EXPECT_GE(c.metrics().fallbacks, 200u);
  // Back: the breaker closes after a probe and entries reach the store again.
  server_.start();
  ASSERT_TRUE(wait_for_pong(*store_));
  // Keys loaded while the breaker is open live in L1 only, so each try uses a new key.
  int tries = 0;
  ASSERT_TRUE(eventually(
      [&] {
        const auto k = "after" + std::to_string(tries++);
        c.get_or_load(k, source);
        return !c.metrics().breaker_open && store_->exec(command{"EXISTS", c.key(k)}).integer == 1;
      },
      10s));
  EXPECT_EQ(c.get("after" + std::to_string(tries - 1)), "from source");
}

TEST_F(CacheOutage, ALostInvalidationConnectionStopsL1Hits) {
  rc::cache a(store_, options());
  rc::cache b(store::open(server_.url()), options());
  std::atomic<int> calls{0};
  auto old = [&calls] {
    ++calls;
    return std::optional<std::string>("old");
  };
  EXPECT_EQ(b.get_or_load("k", old), "old");
  EXPECT_EQ(b.get("k"), "old");
  ASSERT_GE(b.metrics().l1_hits, 1u);
  // The server drops every subscriber; a set made before b resubscribes is never broadcast
  // to b, yet b must not go on serving its L1 copy.
  store_->exec(command{"CLIENT", "KILL", "TYPE", "pubsub"});
  a.set("k", "new");
  ASSERT_TRUE(eventually([&] { return b.get("k") == "new"; }, 2s));
  // Resubscribed: L1 was flushed and broadcasts arrive again.
  const auto hits = b.metrics().l1_hits;
  ASSERT_TRUE(eventually([&] { return b.get("k") == "new" && b.metrics().l1_hits > hits; }, 5s));
  const auto received = b.metrics().invalidations_received;
  a.set("k", "newer");
  ASSERT_TRUE(eventually([&] { return b.get("k") == "newer"; }, 100ms));
  EXPECT_GT(b.metrics().invalidations_received, received);
  EXPECT_EQ(calls, 1);
}

#ifdef REDKIT_TEST_CLI
/// The numeric field `name` of the JSON line `out` (fails the test when missing).
double json_number(const std::string& out, const std::string& name) {
  const auto at = out.find("\"" + name + "\":");
  if (at == std::string::npos) {
    ADD_FAILURE() << name << " missing from " << out;
    return -1;
  }
  return std::stod(out.substr(at + name.size() + 3));
}

TEST(CacheBench, ReportsTheHitRatioAndOneLoadPerStampede) {
  redis_server server;
  const auto cmd = std::string(REDKIT_TEST_CLI) + " bench cache --store " + server.url() +
                   " --keys 200 --ops 4000 --concurrency 16 --hit-ratio 0.9 --loader-us 200" +
                   " --stampede 1000 --json";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[1024];
  while (fgets(buf, sizeof buf, p)) out += buf;
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_NE(out.find("\"l1\":true"), std::string::npos) << out;
  EXPECT_EQ(json_number(out, "errors"), 0);
  EXPECT_EQ(json_number(out, "stampede_loads"), 1);
  EXPECT_EQ(json_number(out, "l2_hits"), 0);  // every hit is an L1 hit
  EXPECT_EQ(json_number(out, "loads"), json_number(out, "misses"));
  EXPECT_NEAR(json_number(out, "hit_ratio"), 0.9, 0.03);
  EXPECT_EQ(json_number(out, "l1_hits") + json_number(out, "misses"), 4000);
}
#endif

}  // namespace
}  // namespace redkit::test
