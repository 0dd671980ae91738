// The rate limiter on every backend: exactness under concurrency, each algorithm's window,
// all-or-nothing policies, cost, shadow mode, the shield; on Redis also a second process and
// the failure modes with a killed server.
#include "support/backends.hpp"
#include "support/store_helpers.hpp"

#include <redkit/rate_limiter.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <future>
#include <random>
#include <span>
#include <thread>

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
using rate_limit::algorithm;
using rate_limit::decision;
using rate_limit::decision_source;
using rate_limit::failure_mode;
using rate_limit::limiter;
using rate_limit::limiter_options;
using rate_limit::policy;

constexpr algorithm all_algorithms[] = {algorithm::sliding_log, algorithm::sliding_window,
                                        algorithm::gcra, algorithm::fixed_window};

policy make_policy(std::string name, algorithm a, std::uint64_t limit,
                   std::chrono::milliseconds window, std::uint64_t burst = 0) {
  return policy{
      .name = std::move(name), .algo = a, .limit = limit, .window = window, .burst = burst};
}

class RateLimiter : public backend_test {
 protected:
  void SetUp() override {
    backend_test::SetUp();
    if (auto* e = store_->engine()) {
      // Frozen at the start of a minute, so aligned windows start with the test.
      e->set_time(std::chrono::system_clock::time_point(std::chrono::minutes(29'000'000)));
    }
  }
  bool exact_clock() { return store_->engine() != nullptr; }

  limiter_options quiet() {
    limiter_options o;
    o.log = [this](std::string_view line) { logged_.emplace_back(line); };
    return o;
  }

  /// Checks `id` against `ps` once per caller: `coroutines` on the store's executor and
  /// `threads` blocking callers, each doing `per_caller` checks. Returns the allowed count.
  std::uint64_t hammer(limiter& l, const std::string& id, const std::vector<policy>& ps,
                       int coroutines, int threads, int per_caller) {
    std::atomic<std::uint64_t> allowed{0};
    std::vector<std::future<void>> done;
    for (int c = 0; c < coroutines; ++c) {
      done.push_back(asio::co_spawn(
          store_->get_executor(),
          [&]() -> asio::awaitable<void> {
            for (int i = 0; i < per_caller; ++i) {
              if ((co_await l.async_check(id, ps)).allowed) ++allowed;
            }
          },
          asio::use_future));
    }
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&] {
        for (int i = 0; i < per_caller; ++i) {
          if (l.check(id, ps).allowed) ++allowed;
        }
      });
    }
    for (auto& t : ts) t.join();
    for (auto& f : done) f.get();
    return allowed;
  }

  std::vector<std::string> logged_;
};

TEST_P(RateLimiter, HotKeyAllowsExactlyTheLimitUnderConcurrency) {
  for (const auto a : all_algorithms) {
    limiter_options o = quiet();
    o.shield = false;  // every check reaches the store
    limiter l(store_, o);
    const std::vector<policy> ps{make_policy("hot", a, 50, 60s)};
    const auto allowed = hammer(l, "user:hot", ps, 64, 4, 4);  // 272 checks
    SCOPED_TRACE(std::string(to_string(a)));
    if (a == algorithm::sliding_log || exact_clock()) {
      EXPECT_EQ(allowed, 50u);
    } else {
      // Real time passes: gcra refills 1 unit per 1.2 s; the other two count per window.
      EXPECT_LE(allowed, a == algorithm::gcra ? 52u : 50u);
      EXPECT_GE(allowed, 50u);
    }
    const auto m = l.metrics();
    EXPECT_EQ(m.policies.at("hot").allowed, allowed);
    EXPECT_EQ(m.policies.at("hot").denied, 272 - allowed);
    EXPECT_EQ(m.store_errors, 0u);
  }
}

TEST_P(RateLimiter, SlidingLogSlidesAndReportsRetryAndReset) {
  limiter l(store_, quiet());
  const std::vector<policy> ps{make_policy("log", algorithm::sliding_log, 3, 1000ms)};
  auto d = l.check("ip:1", ps);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 3u);
  EXPECT_EQ(d.remaining, 2u);
  EXPECT_EQ(d.policy, "log");
  EXPECT_EQ(d.source, decision_source::store);
  advance(400ms);
  d = l.check("ip:1", ps);
  EXPECT_EQ(d.remaining, 1u);
  // Reset is when the oldest entry leaves the window, not now + window.
  if (exact_clock()) EXPECT_EQ(d.reset_after, 600ms);
  EXPECT_LE(d.reset_after, 600ms);
  d = l.check("ip:1", ps);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  d = l.check("ip:1", ps);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0u);
  EXPECT_GE(d.retry_after, 1ms);
  if (exact_clock()) EXPECT_EQ(d.retry_after, 600ms);
  EXPECT_LE(d.retry_after, 600ms);
  advance(d.retry_after + (exact_clock() ? 0ms : 20ms));
  d = l.check("ip:1", ps);  // the first entry left the window; the shield expired with it
  EXPECT_TRUE(d.allowed) << d.retry_after.count();
  EXPECT_EQ(d.remaining, 0u);
}

TEST_P(RateLimiter, GcraAllowsBurstThenRefillsAtTheRate) {
  limiter l(store_, quiet());
  // 10 per second = one unit per 100 ms, 4 at once.
  const std::vector<policy> ps{make_policy("bucket", algorithm::gcra, 10, 1000ms, 4)};
  for (int i = 0; i < 4; ++i) {
    auto d = l.check("k", ps);
    EXPECT_TRUE(d.allowed) << i;
    if (exact_clock()) EXPECT_EQ(d.remaining, static_cast<std::uint64_t>(3 - i));
    EXPECT_EQ(d.limit, 4u);
  }
  auto d = l.check("k", ps);
  EXPECT_FALSE(d.allowed);
  EXPECT_GE(d.retry_after, 1ms);
  EXPECT_LE(d.retry_after, 100ms);
  if (exact_clock()) EXPECT_EQ(d.retry_after, 100ms);
  advance(d.retry_after + (exact_clock() ? 0ms : 10ms));
  EXPECT_TRUE(l.check("k", ps).allowed);
  if (exact_clock()) {
    EXPECT_FALSE(l.check("k", ps).allowed);
    advance(1000ms);  // a full refill, never beyond the burst
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(l.check("k", ps).allowed) << i;
    EXPECT_FALSE(l.check("k", ps).allowed);
  }
}

TEST_P(RateLimiter, FixedWindowResetsAfterTheWindow) {
  limiter l(store_, quiet());
  const std::vector<policy> ps{make_policy("fw", algorithm::fixed_window, 3, 500ms)};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.check("k", ps).allowed);
  auto d = l.check("k", ps);
  EXPECT_FALSE(d.allowed);
  EXPECT_LE(d.retry_after, 500ms);
  EXPECT_GE(d.retry_after, 1ms);
  advance(d.retry_after + (exact_clock() ? 0ms : 20ms));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.check("k", ps).allowed) << i;
  EXPECT_FALSE(l.check("k", ps).allowed);
}

TEST_P(RateLimiter, SlidingWindowWeighsThePreviousWindow) {
  if (!exact_clock()) {
    // Aligned windows on real time: only the bound within one window is deterministic.
    limiter l(store_, quiet());
    const std::vector<policy> ps{make_policy("sw", algorithm::sliding_window, 5, 60s)};
    int allowed = 0;
    for (int i = 0; i < 8; ++i) allowed += l.check("k", ps).allowed ? 1 : 0;
    EXPECT_LE(allowed, 5);
    return;
  }
  limiter l(store_, quiet());
  const std::vector<policy> ps{make_policy("sw", algorithm::sliding_window, 10, 1000ms)};
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(l.check("k", ps).allowed) << i;
  auto d = l.check("k", ps);
  EXPECT_FALSE(d.allowed);
  // Next window at 1000 ms starts with the estimate 10 × 1.0; 1 unit fits after 10%.
  EXPECT_EQ(d.retry_after, 1100ms);
  advance(1000ms);
  EXPECT_FALSE(l.check("k", ps).allowed);
  advance(500ms);  // estimate 10 × 0.5 = 5: five more fit
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(l.check("k", ps).allowed) << i;
  d = l.check("k", ps);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, 100ms);  // the previous window's weight sheds 1 unit per 100 ms
}

TEST_P(RateLimiter, SeveralPoliciesAreAllOrNothing) {
  limiter_options o = quiet();
  o.shield = false;
  limiter l(store_, o);
  for (const auto a : all_algorithms) {
    SCOPED_TRACE(std::string(to_string(a)));
    const auto id = "multi:" + std::string(to_string(a));
    const policy tight = make_policy("per-second", a, 3, 60s);
    const policy loose = make_policy("per-hour", algorithm::sliding_log, 5, 3600s);
    const std::vector<policy> both{tight, loose};
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.check(id, both).allowed);
    auto d = l.check(id, both);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.policy, "per-second");
    ASSERT_EQ(d.policies.size(), 2u);
    EXPECT_FALSE(d.policies[0].allowed);
    EXPECT_TRUE(d.policies[1].allowed);
    EXPECT_EQ(d.policies[1].remaining, 1u);  // 3 used; this request would leave 1
    // The denied requests consumed nothing from the loose policy: 2 units are left in it.
    const std::vector<policy> loose_only{loose};
    d = l.check(id, loose_only);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 1u);
  }
  // The other way round: the hourly policy denies, the tight one must not be consumed.
  const policy a = make_policy("a", algorithm::gcra, 10, 60s);
  const policy b = make_policy("b", algorithm::fixed_window, 2, 60s);
  const std::vector<policy> ab{a, b};
  EXPECT_TRUE(l.check("other", ab).allowed);
  EXPECT_TRUE(l.check("other", ab).allowed);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(l.check("other", ab).allowed);
  const std::vector<policy> a_only{a};
  const auto d = l.check("other", a_only);
  if (exact_clock()) EXPECT_EQ(d.remaining, 7u);
  EXPECT_GE(d.remaining, 7u);
}

TEST_P(RateLimiter, CostTakesSeveralUnits) {
  limiter_options o = quiet();
  o.shield = false;
  limiter l(store_, o);
  for (const auto a : all_algorithms) {
    SCOPED_TRACE(std::string(to_string(a)));
    const std::vector<policy> ps{make_policy("cost", a, 10, 60s)};
    const auto id = "cost:" + std::string(to_string(a));
    auto d = l.check(id, ps, 4);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 6u);
    EXPECT_TRUE(l.check(id, ps, 4).allowed);
    d = l.check(id, ps, 4);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.remaining, 2u);
    d = l.check(id, ps, 2);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, 0u);
    EXPECT_FALSE(l.check(id, ps, 1).allowed);
    auto e = error_from([&] { l.check(id, ps, 11); });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), make_error_code(errc::invalid_argument));
  }
  // A policy's own cost applies when the check gives none.
  policy heavy = make_policy("heavy", algorithm::sliding_log, 10, 60s);
  heavy.cost = 5;
  const std::vector<policy> hs{heavy};
  EXPECT_EQ(l.check("heavy", hs).remaining, 5u);
  EXPECT_EQ(l.check("heavy", hs).remaining, 0u);
  EXPECT_FALSE(l.check("heavy", hs).allowed);
}

// A caller may change its policies between checks, in place: each check follows the policies
// it is given (a thread validates and formats them once, and reuses that while they repeat).
TEST_P(RateLimiter, PoliciesChangedInPlaceAreCheckedAsChanged) {
  limiter_options o = quiet();
  o.shield = false;
  limiter l(store_, o);
  std::vector<policy> ps{make_policy("tier", algorithm::sliding_log, 1, 60s)};
  EXPECT_TRUE(l.check("changed", ps).allowed);
  EXPECT_FALSE(l.check("changed", ps).allowed);
  ps[0].limit = 3;
  auto d = l.check("changed", ps);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 3u);
  EXPECT_EQ(d.remaining, 1u);
  ps[0].algo = algorithm::gcra;  // another key
  d = l.check("changed", ps);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 2u);
  ps[0].algo = algorithm::sliding_log;
  EXPECT_TRUE(l.check("changed", ps).allowed);  // the log's third entry
  EXPECT_FALSE(l.check("changed", ps).allowed);
  ps[0].shadow = true;
  d = l.check("changed", ps);
  EXPECT_TRUE(d.allowed);
  EXPECT_FALSE(d.policies.at(0).allowed);
  ps[0].shadow = false;
  ps.push_back(make_policy("second", algorithm::fixed_window, 5, 60s));
  d = l.check("changed", ps);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.policy, "tier");
  ps.erase(ps.begin());
  d = l.check("changed", ps);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 4u);  // the denied check above consumed nothing

  // A policy made invalid after valid checks is refused (validation is not skipped), and
  // so is a cost above its capacity; both leave the next valid check as it was.
  ps[0].limit = 0;
  auto e = error_from([&] { l.check("changed", ps); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), make_error_code(errc::invalid_argument));
  ps[0].limit = 5;
  e = error_from([&] { l.check("changed", ps, 6); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), make_error_code(errc::invalid_argument));
  EXPECT_EQ(l.check("changed", ps).remaining, 3u);

  // Another limiter's keys carry its own prefix, even for the very same policies.
  limiter_options other = quiet();
  other.shield = false;
  other.prefix = "other";
  limiter l2(store_, other);
  d = l2.check("changed", ps);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 4u);
  EXPECT_EQ(l.check("changed", ps).remaining, 2u);
}

TEST_P(RateLimiter, ShadowPolicyCountsButNeverDenies) {
  limiter l(store_, quiet());
  policy shadow = make_policy("new-limit", algorithm::sliding_log, 2, 60s);
  shadow.shadow = true;
  const std::vector<policy> ps{shadow, make_policy("current", algorithm::gcra, 10, 60s)};
  for (int i = 0; i < 5; ++i) {
    const auto d = l.check("u", ps);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.policy, "current");
    EXPECT_EQ(d.policies[0].allowed, i < 2) << i;
    EXPECT_TRUE(d.policies[0].shadow);
  }
  const auto m = l.metrics();
  EXPECT_EQ(m.policies.at("new-limit").allowed, 2u);
  EXPECT_EQ(m.policies.at("new-limit").shadow_denied, 3u);
  EXPECT_EQ(m.policies.at("new-limit").denied, 0u);
  EXPECT_EQ(m.policies.at("current").allowed, 5u);
}

TEST_P(RateLimiter, ShieldAnswersRepeatOffendersWithoutTheStore) {
  limiter l(store_, quiet());
  const std::vector<policy> ps{make_policy("s", algorithm::fixed_window, 2, 60s)};
  EXPECT_TRUE(l.check("abuser", ps).allowed);
  EXPECT_TRUE(l.check("abuser", ps).allowed);
  const auto first = l.check("abuser", ps);
  EXPECT_FALSE(first.allowed);
  EXPECT_EQ(first.source, decision_source::store);
  const auto requests = store_->stats().requests;
  for (int i = 0; i < 100; ++i) {
    const auto d = l.check("abuser", ps);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.source, decision_source::shield);
    EXPECT_EQ(d.policy, "s");
    EXPECT_GE(d.retry_after, 1ms);
    EXPECT_LE(d.retry_after, first.retry_after);
  }
  EXPECT_EQ(store_->stats().requests, requests);
  EXPECT_EQ(l.metrics().shield_hits, 100u);
  EXPECT_EQ(l.metrics().policies.at("s").denied, 101u);
  // Another identity, or another cost, is not shielded.
  EXPECT_TRUE(l.check("someone-else", ps).allowed);
  // reset() forgets the identity in the store and in the shield.
  l.reset("abuser", ps);
  EXPECT_TRUE(l.check("abuser", ps).allowed);
}

TEST_P(RateLimiter, KeysShareTheIdentitysHashTagAndSurviveAnotherType) {
  limiter l(store_, quiet());
  const auto p = make_policy("anonymous", algorithm::sliding_log, 3, 60s);
  EXPECT_EQ(l.key("ip:1.2.3.4", p), "rk:rl:{ip:1.2.3.4}:anonymous:log");
  limiter_options o = quiet();
  o.prefix = "app";
  limiter l2(store_, o);
  EXPECT_EQ(l2.key("user:7", make_policy("x", algorithm::gcra, 1, 1s)), "app:rl:{user:7}:x:gcra");
  // A key of another type under the policy's name is replaced, not an error.
  store_->exec(command{"HSET", l.key("ip:9", p), "f", "v"});
  const std::vector<policy> ps{p};
  const auto d = l.check("ip:9", ps);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 2u);
}

TEST_P(RateLimiter, BadInputIsRefusedClearly) {
  limiter l(store_, quiet());
  const std::vector<policy> none;
  const std::vector<policy> ok{make_policy("p", algorithm::gcra, 5, 1s)};
  const std::vector<policy> bad{make_policy("bad name", algorithm::gcra, 5, 1s)};
  const std::vector<policy> twice{make_policy("p", algorithm::gcra, 5, 1s),
                                  make_policy("p", algorithm::gcra, 9, 1h)};
  for (auto&& call : std::vector<std::function<void()>>{
           [&] { l.check("id", none); }, [&] { l.check("", ok); },
           [&] { l.check(std::string(513, 'x'), ok); }, [&] { l.check("id", bad); },
           [&] { l.check("id", ok, 6); }, [&] { l.check("id", twice); }}) {
    auto e = error_from(call);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), make_error_code(errc::invalid_argument)) << e->what();
  }
  EXPECT_THROW(limiter(nullptr), error);
}

REDKIT_ALL_BACKENDS(RateLimiter);

// The engine's native check and its Lua give the limiter the same decisions.
TEST(RateLimiterEngine, NativeAndLuaDecideAlike) {
  store_options lua_only;
  lua_only.engine.native_scripts = false;
  auto native = store::open("memory://");
  auto lua = store::open("memory://", lua_only);
  const auto start = std::chrono::system_clock::time_point(std::chrono::minutes(29'000'000));
  native->engine()->set_time(start);
  lua->engine()->set_time(start);
  limiter_options o;
  o.shield = false;
  limiter a(native, o);
  limiter b(lua, o);
  std::vector<policy> ps;
  for (const auto algo : all_algorithms)
    ps.push_back(make_policy(std::string(to_string(algo)), algo, 7, 1000ms,
                             algo == algorithm::gcra ? 3 : 0));
  std::mt19937 rng(7);
  for (int i = 0; i < 400; ++i) {
    const auto id = "id:" + std::to_string(rng() % 3);
    const auto first = rng() % ps.size();
    const auto span = std::span<const policy>(ps).subspan(first, 1 + rng() % (ps.size() - first));
    const auto cost = 1 + rng() % 3;
    const auto x = a.check(id, span, cost);
    const auto y = b.check(id, span, cost);
    ASSERT_EQ(x.allowed, y.allowed) << i;
    ASSERT_EQ(x.policy, y.policy) << i;
    ASSERT_EQ(x.remaining, y.remaining) << i;
    ASSERT_EQ(x.reset_after, y.reset_after) << i;
    ASSERT_EQ(x.retry_after, y.retry_after) << i;
    const auto step = std::chrono::milliseconds(rng() % 200);
    native->engine()->advance(step);
    lua->engine()->advance(step);
  }
  EXPECT_EQ(native->engine()->key_count(), lua->engine()->key_count());
}

// ---------------------------------------------------------------------------------------------
// Redis only: another process sharing the limit, and the failure modes with a killed server.

#ifdef REDKIT_TEST_CLI
TEST(RateLimiterRedis, TwoProcessesShareOneExactLimit) {
  redis_server server;
  auto s = store::open(server.url());
  limiter_options o;
  o.shield = false;
  limiter l(s, o);
  // The CLI's bench uses identity "bench:0" and policy "bench"; this process uses the same.
  const std::vector<policy> ps{make_policy("bench", algorithm::sliding_log, 100, 60s)};
  const auto cmd = std::string(REDKIT_TEST_CLI) + " bench ratelimit --store " + server.url() +
                   " --keys 1 --ops 300 --concurrency 32 --limit 100 --window-ms 60000 --json";
  auto other = std::async(std::launch::async, [&] {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[512];
    while (p && fgets(buf, sizeof buf, p)) out += buf;
    if (p) pclose(p);
    return out;
  });
  std::atomic<int> here{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&] {
      for (int i = 0; i < 40; ++i) here += l.check("bench:0", ps).allowed ? 1 : 0;
    });
  }
  for (auto& t : ts) t.join();
  const auto out = other.get();
  const auto at = out.find("\"allowed\":");
  ASSERT_NE(at, std::string::npos) << out;
  const int there = std::stoi(out.substr(at + 10));
  EXPECT_EQ(here + there, 100) << "here " << here << ", the other process " << there;
}
#endif

class RateLimiterOutage : public ::testing::Test {
 protected:
  limiter_options options(failure_mode m) {
    limiter_options o;
    o.on_failure = m;
    o.timeout = 200ms;
    o.breaker_threshold = 3;
    o.breaker_open_for = 300ms;
    o.log = [this](std::string_view line) {
      std::lock_guard lock(mu_);
      logged_.emplace_back(line);
    };
    return o;
  }

  /// Median latency of `n` checks.
  static std::chrono::nanoseconds median_check(limiter& l, const std::vector<policy>& ps, int n,
                                               std::vector<decision>* out = nullptr) {
    std::vector<std::chrono::nanoseconds> ts;
    for (int i = 0; i < n; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      auto d = l.check("victim", ps);
      ts.push_back(std::chrono::steady_clock::now() - t0);
      if (out) out->push_back(std::move(d));
    }
    std::sort(ts.begin(), ts.end());
    return ts[ts.size() / 2];
  }

  redis_server server_;
  std::shared_ptr<store> store_ = store::open(server_.url());
  std::mutex mu_;
  std::vector<std::string> logged_;
};

TEST_F(RateLimiterOutage, OpenModeAllowsAndTheBreakerMakesChecksCheap) {
  limiter l(store_, options(failure_mode::open));
  const std::vector<policy> ps{make_policy("p", algorithm::gcra, 2, 60s)};
  EXPECT_EQ(l.check("victim", ps).source, decision_source::store);
  server_.kill();
  std::vector<decision> ds;
  median_check(l, ps, 3, &ds);  // three failures open the breaker
  for (const auto& d : ds) {
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.source, decision_source::fail_open);
  }
  EXPECT_TRUE(l.metrics().breaker_open);
  ds.clear();
  const auto latency = median_check(l, ps, 200, &ds);
  std::printf("[ outage ] median check with the breaker open: %.1f us (store timeout 200 ms)\n",
              std::chrono::duration<double, std::micro>(latency).count());
  EXPECT_LT(latency, 20ms);  // no store round trip, no timeout
  for (const auto& d : ds) EXPECT_TRUE(d.allowed);
  const auto m = l.metrics();
  EXPECT_EQ(m.breaker_opens, 1u);
  EXPECT_EQ(m.fallbacks, 203u);
  EXPECT_EQ(m.policies.at("p").errors, 203u);
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(logged_.size(), 1u) << "errors are logged once per interval";
    if (!logged_.empty()) EXPECT_NE(logged_[0].find("store error"), std::string::npos);
  }
  // Recovery: the server comes back; a probe after breaker_open_for closes the breaker.
  server_.start();
  ASSERT_TRUE(wait_for_pong(*store_));
  const auto until = std::chrono::steady_clock::now() + 5s;
  decision d;
  while (std::chrono::steady_clock::now() < until) {
    d = l.check("victim", ps);
    if (d.source == decision_source::store) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(d.source, decision_source::store);
  EXPECT_FALSE(l.metrics().breaker_open);
}

TEST_F(RateLimiterOutage, ClosedModeDenies) {
  limiter l(store_, options(failure_mode::closed));
  const std::vector<policy> ps{make_policy("p", algorithm::sliding_log, 100, 60s)};
  server_.kill();
  std::vector<decision> ds;
  median_check(l, ps, 10, &ds);
  for (const auto& d : ds) {
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.source, decision_source::fail_closed);
    EXPECT_GE(d.retry_after, 1ms);
    EXPECT_EQ(d.policy, "p");
  }
}

TEST_F(RateLimiterOutage, InsuranceModeKeepsLimiting) {
  auto o = options(failure_mode::insurance);
  o.insurance_divisor = 2;  // e.g. two app instances: each enforces half
  limiter l(store_, o);
  const std::vector<policy> ps{make_policy("p", algorithm::sliding_log, 10, 60s)};
  server_.kill();
  std::vector<decision> ds;
  median_check(l, ps, 8, &ds);
  int allowed = 0;
  for (const auto& d : ds) {
    EXPECT_EQ(d.source, decision_source::insurance);
    allowed += d.allowed ? 1 : 0;
  }
  EXPECT_EQ(allowed, 5);
  EXPECT_GE(ds.back().retry_after, 1ms);
}

TEST_F(RateLimiterOutage, HungServerCostsOneTimeoutPerCheckUntilTheBreakerOpens) {
  limiter l(store_, options(failure_mode::open));
  const std::vector<policy> ps{make_policy("p", algorithm::gcra, 5, 60s)};
  EXPECT_TRUE(l.check("victim", ps).allowed);
  server_.pause();
  const auto t0 = std::chrono::steady_clock::now();
  median_check(l, ps, 3);  // each waits for the 200 ms deadline
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 500ms);
  const auto latency = median_check(l, ps, 100);
  EXPECT_LT(latency, 20ms);
  server_.resume();
}

}  // namespace
}  // namespace redkit::test
