// The engine core: expiry on the settable clock (lazy and by the active sweep, which must free
// memory of keys nobody touches), max_memory, atomicity under many threads, dispatch errors.
#include "engine_test_util.hpp"

#include "engine/engine.hpp"
#include "engine/glob.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace redkit::engine {
namespace {

using testing::run;
using testing::show;

constexpr std::int64_t t0 = 1'700'000'000'000;  // a fixed "now" in ms

TEST(EngineCore, KeysExpireOnTheSettableClock) {
  engine e;
  e.set_time_ms(t0);
  EXPECT_EQ(show(run(e, {"SET", "k", "v", "PX", "1500"})), "OK");
  EXPECT_EQ(run(e, {"PTTL", "k"}).integer, 1500);
  e.advance_ms(1499);
  EXPECT_EQ(show(run(e, {"GET", "k"})), "\"v\"");
  EXPECT_EQ(run(e, {"PTTL", "k"}).integer, 1);
  e.advance_ms(1);
  EXPECT_EQ(show(run(e, {"GET", "k"})), "(nil)");
  EXPECT_EQ(run(e, {"EXISTS", "k"}).integer, 0);
  EXPECT_EQ(run(e, {"TTL", "k"}).integer, -2);
  // TIME reads the same clock.
  const auto time = run(e, {"TIME"});
  ASSERT_EQ(time.elements.size(), 2u);
  EXPECT_EQ(time.elements[0].string, std::to_string((t0 + 1500) / 1000));
  EXPECT_EQ(time.elements[1].string, std::to_string((t0 + 1500) % 1000 * 1000));
}

TEST(EngineCore, ActiveSweepFreesMemoryOfKeysNobodyTouches) {
  engine e;
  e.set_time_ms(t0);
  const auto empty = e.used_memory();
  const std::string big(1000, 'x');
  for (int i = 0; i < 2000; ++i) {
    const auto key = "key:" + std::to_string(i);
    const std::vector<std::string_view> argv{"SET", key, big, "PX", i % 2 ? "1000" : "100000"};
    ASSERT_EQ(e.execute(argv).string, "OK");
  }
  const auto full = e.used_memory();
  EXPECT_GT(full - empty, 2000 * 1000);  // the values are counted
  e.advance_ms(1000);
  EXPECT_EQ(e.key_count(), 2000u);  // expired but not yet deleted: nothing touched them
  std::size_t swept = 0;
  while (const auto n = e.sweep_expired(300)) swept += n;
  EXPECT_EQ(swept, 1000u);
  EXPECT_EQ(e.key_count(), 1000u);
  const auto after = e.used_memory();
  EXPECT_LT(after - empty, (full - empty) * 6 / 10) << "expired keys' memory was not freed";
  EXPECT_EQ(run(e, {"DBSIZE"}).integer, 1000);
  // Deleting the rest brings memory back to where it started.
  run(e, {"FLUSHALL"});
  EXPECT_EQ(e.used_memory(), empty);
}

TEST(EngineCore, WritesPastMaxMemoryGetRedisOomError) {
  engine e(options{.max_memory = 64 * 1024});
  const std::string chunk(4096, 'y');
  resp::reply last;
  int stored = 0;
  for (int i = 0; i < 100; ++i) {
    const auto key = "k" + std::to_string(i);
    const std::vector<std::string_view> argv{"SET", key, chunk};
    last = e.execute(argv);
    if (last.is_error()) break;
    ++stored;
  }
  ASSERT_TRUE(last.is_error()) << "memory grew without bound";
  EXPECT_EQ(last.string, "OOM command not allowed when used memory > 'maxmemory'.");
  EXPECT_GT(stored, 5);
  EXPECT_LT(stored, 20);
  // Reads and deletes still work, and free room for writes again.
  EXPECT_EQ(show(run(e, {"STRLEN", "k0"})), "(integer) 4096");
  EXPECT_EQ(run(e, {"DEL", "k0", "k1", "k2", "k3"}).integer, 4);
  EXPECT_EQ(show(run(e, {"SET", "again", "v"})), "OK");
}

TEST(EngineCore, ManyThreadsGetExactTotals) {
  engine e;
  run(e, {"SCRIPT", "LOAD", "return redis.call('INCRBY', KEYS[1], ARGV[1])"});
  constexpr int threads = 8, per_thread = 5000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        run(e, {"INCR", "counter"});
        run(e, {"EVAL", "return redis.call('INCRBY', KEYS[1], ARGV[1])", "1", "counter", "2"});
        run(e, {"HINCRBY", "h", "f", "1"});
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(show(run(e, {"GET", "counter"})),
            "\"" + std::to_string(threads * per_thread * 3) + "\"");
  EXPECT_EQ(run(e, {"HGET", "h", "f"}).string, std::to_string(threads * per_thread));
}

TEST(EngineCore, DispatchErrorsMatchRedis) {
  engine e;
  EXPECT_EQ(run(e, {"NOPE", "a", "b"}).string,
            "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' ");
  EXPECT_EQ(run(e, {"GET"}).string, "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(run(e, {"gEt", "x"}).type, resp::type::null);  // names are case-insensitive
  EXPECT_EQ(show(run(e, {"PING"})), "PONG");
  EXPECT_EQ(show(run(e, {"ECHO", "hi"})), "\"hi\"");
  EXPECT_EQ(run(e, {"SELECT", "1"}).string, "ERR DB index is out of range");
}

TEST(EngineCore, GlobMatchesLikeRedis) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("h?llo", "hello"));
  EXPECT_TRUE(glob_match("h*llo", "heeeello"));
  EXPECT_TRUE(glob_match("h[ae]llo", "hallo"));
  EXPECT_FALSE(glob_match("h[ae]llo", "hillo"));
  EXPECT_TRUE(glob_match("h[^e]llo", "hallo"));
  EXPECT_FALSE(glob_match("h[^e]llo", "hello"));
  EXPECT_TRUE(glob_match("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(glob_match("h\\*llo", "h*llo"));
  EXPECT_FALSE(glob_match("h\\*llo", "hello"));
  EXPECT_TRUE(glob_match("log.*", "log.app"));
  EXPECT_FALSE(glob_match("log.*", "logapp"));
  EXPECT_TRUE(glob_match("*a*b*c*", "xxaxxbxxcxx"));
  EXPECT_FALSE(glob_match("*a*b*c*", "xxaxxcxxbxx"));
  EXPECT_TRUE(glob_match("HELLO", "hello", true));
  // A pathological pattern finishes quickly (no exponential backtracking).
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

// MULTI ... EXEC inside one execute_all, as on a Redis connection (the store refuses unbalanced
// transactions before they reach here; the engine still answers them as Redis would, except
// that a transaction left open at the end is discarded: there is no connection to keep it on).
TEST(EngineCore, ExecuteAllRunsTransactionsAsRedisDoes) {
  engine e;
  const auto all = [&](std::vector<std::vector<std::string_view>> cmds) {
    std::vector<std::string> shown;
    for (const auto& r : e.execute_all(cmds)) shown.push_back(show(r));
    return shown;
  };
  const auto ok = show(resp::reply::make_simple("OK"));
  const auto queued = show(resp::reply::make_simple("QUEUED"));
  const auto err = [](std::string text) { return show(resp::reply::make_error(std::move(text))); };
  using v = std::vector<std::string>;
  EXPECT_EQ(all({{"EXEC"}, {"DISCARD"}}),
            (v{err("ERR EXEC without MULTI"), err("ERR DISCARD without MULTI")}));
  std::vector<resp::reply> results;
  results.push_back(resp::reply::make_simple("OK"));
  results.push_back(resp::reply::make_integer(2));
  EXPECT_EQ(all({{"MULTI"}, {"SET", "k", "1"}, {"MULTI"}, {"INCR", "k"}, {"EXEC"}}),
            (v{ok, queued, err("ERR MULTI calls can not be nested"), queued,
               show(resp::reply::make_array(std::move(results)))}));
  EXPECT_EQ(show(run(e, {"GET", "k"})), show(resp::reply::make_bulk("2")));
  // Left open at the end: nothing applied, and the next call starts outside a transaction.
  EXPECT_EQ(all({{"MULTI"}, {"INCR", "k"}}), (v{ok, queued}));
  EXPECT_EQ(show(run(e, {"GET", "k"})), show(resp::reply::make_bulk("2")));
  EXPECT_EQ(all({{"INCR", "k"}}), (v{show(resp::reply::make_integer(3))}));
}

}  // namespace
}  // namespace redkit::engine

