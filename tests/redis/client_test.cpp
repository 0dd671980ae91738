// The Redis client (net/) against real redis-server processes: pipelining under concurrency,
// binary safety, outages and reconnects, deadlines, NOSCRIPT recovery, auth, TLS, unix sockets.
#include "support/backends.hpp"
#include "support/raw_redis.hpp"
#include "support/redis_server.hpp"
#include "support/store_helpers.hpp"

#include <redkit/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace redkit {
namespace {

using namespace std::chrono_literals;
using test::redis_server;
using test::redis_server_options;
using steady = std::chrono::steady_clock;
namespace asio = boost::asio;

std::string bytes_with_nul(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7) % 256);
  return s;
}

// Runs `ioc` until `done()` holds or `limit` passes (the store keeps the context busy, so
// run() alone would not return).
template <typename Pred>
void run_until(asio::io_context& ioc, Pred done, std::chrono::milliseconds limit) {
  const auto until = steady::now() + limit;
  while (!done() && steady::now() < until) ioc.run_one_for(20ms);
}

// Builds a store whose I/O runs on `ioc` (caller runs it).
std::shared_ptr<store> open_on(asio::io_context& ioc, const std::string& url,
                               store_options opts = {}) {
  return store::open(ioc.get_executor(), url, std::move(opts));
}

// ---------------------------------------------------------------------------------------------

TEST(RedisClient, TenThousandConcurrentRequestsAreMatchedToTheirReplies) {
  redis_server server;
  constexpr int n = 10000;
  std::atomic<int> matched{0}, mismatched{0}, failed{0};
  asio::io_context ioc(1);
  auto s = open_on(ioc, server.url());
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(
        ioc,
        [&, i]() -> asio::awaitable<void> {
          const auto key = "k" + std::to_string(i);
          const auto value = "v" + std::to_string(i) + std::string(i % 50, 'x');
          try {
            auto set = co_await s->async_exec(command{"SET", key, value});
            auto get = co_await s->async_exec(command{"GET", key});
            if (set.string == "OK" && get.string == value) {
              ++matched;
            } else {
              ++mismatched;
            }
          } catch (const std::exception&) {
            ++failed;
          }
        },
        asio::detached);
  }
  run_until(
      ioc, [&] { return matched + mismatched + failed == n; }, 30s);
  EXPECT_EQ(matched, n);
  EXPECT_EQ(mismatched, 0);
  EXPECT_EQ(failed, 0);
  const auto st = s->stats();
  EXPECT_EQ(st.requests, 2u * n);
  // Pipelining: far fewer socket writes than requests.
  EXPECT_LT(st.write_batches, st.requests / 4) << "requests were not batched";
  test::raw_redis raw(server.port());
  EXPECT_EQ(raw.command({"DBSIZE"}), std::to_string(n));
}

TEST(RedisClient, ConcurrentBlockingCallsFromManyThreads) {
  redis_server server;
  auto s = store::open(server.url());
  constexpr int threads = 8, per_thread = 500;
  std::atomic<int> ok{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const auto tag = std::to_string(t) + ":" + std::to_string(i);
        if (s->exec(command{"ECHO", tag}).string == tag) ++ok;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(ok, threads * per_thread);
  auto r = s->exec(command{"INCRBY", "counter", 5});
  EXPECT_EQ(r.type, resp::type::integer);
  EXPECT_EQ(r.integer, 5);
}

TEST(RedisClient, ValuesAreBinarySafeUpToOneMebibyte) {
  redis_server server;
  auto s = store::open(server.url());
  for (std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{4096}, std::size_t{1} << 20}) {
    const auto value = bytes_with_nul(size, static_cast<unsigned>(size));
    const auto key = std::string("bin\0key\r\n", 9) + std::to_string(size);
    EXPECT_EQ(s->exec(command{"SET", key, value}).string, "OK");
    auto got = s->exec(command{"GET", key});
    ASSERT_EQ(got.type, resp::type::bulk_string);
    EXPECT_EQ(got.string.size(), size);
    EXPECT_TRUE(got.string == value) << "value of " << size << " bytes changed in transit";
    EXPECT_EQ(s->exec(command{"STRLEN", key}).integer, static_cast<std::int64_t>(size));
  }
}

TEST(RedisClient, PipelineKeepsOrderAndReturnsErrorRepliesAsValues) {
  redis_server server;
  auto s = store::open(server.url());
  std::vector<command> cmds;
  cmds.emplace_back("SET", "p", "1");
  cmds.emplace_back("INCR", "p");
  cmds.emplace_back("LPUSH", "p", "x");  // WRONGTYPE
  cmds.emplace_back("GET", "p");
  cmds.emplace_back("GET", "missing");
  auto r = s->pipeline(std::move(cmds));
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].string, "OK");
  EXPECT_EQ(r[1].integer, 2);
  EXPECT_TRUE(r[2].is_error());
  EXPECT_THAT(r[2].string, ::testing::StartsWith("WRONGTYPE"));
  EXPECT_EQ(r[3].string, "2");
  EXPECT_TRUE(r[4].is_null());
  EXPECT_TRUE(s->pipeline({}).empty());
}

TEST(RedisClient, ErrorRepliesBecomeClassifiedErrorsNamingTheCommandNotItsArguments) {
  redis_server server;
  auto s = store::open(server.url());
  s->exec(command{"LPUSH", "list", "secret-value"});
  try {
    s->exec(command{"GET", "list"});
    FAIL() << "expected WRONGTYPE";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::wrong_type);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("WRONGTYPE"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("[in GET]"));
    EXPECT_THAT(e.what(), ::testing::Not(::testing::HasSubstr("list")));
  }
  try {
    s->exec(command{"NOSUCHCOMMAND", "top-secret"});
    FAIL() << "expected an unknown-command error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::unknown_command);
  }
}

TEST(RedisClient, KillAndRestartMidLoadFailsWithinDeadlinesAndNeverMismatches) {
  redis_server server;
  store_options opts;
  opts.request_timeout = 300ms;
  opts.connect_timeout = 200ms;
  opts.reconnect_max = 100ms;
  asio::io_context ioc(1);
  auto s = open_on(ioc, server.url(), opts);

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, mismatched{0}, failed{0}, late{0}, ok_after_restart{0};
  std::atomic<bool> restarted{false};
  std::atomic<int> finished{0};
  std::vector<std::string> failure_kinds;
  auto worker = [&](int id) -> asio::awaitable<void> {
    for (int i = 0; !stop; ++i) {
      // A few workers send large payloads so that a write is usually in flight at the kill.
      auto tag = std::to_string(id) + "/" + std::to_string(i);
      if (id % 16 == 0) tag += std::string(256 * 1024, 'p');
      const auto t0 = steady::now();
      bool backoff = false;
      try {
        auto r = co_await s->async_exec(command{"ECHO", tag});
        if (r.string != tag) {
          ++mismatched;
        } else {
          ++ok;
          if (restarted) ++ok_after_restart;
        }
      } catch (const error& e) {
        ++failed;
        // Deadline 300 ms; allow scheduling slack on a loaded machine.
        if (steady::now() - t0 > 300ms + 250ms) ++late;
        if (e.code() != errc::timeout && e.code() != errc::connection_lost &&
            e.code() != errc::not_connected) {
          failure_kinds.push_back(e.what());
        }
        backoff = true;
      }
      if (backoff) {
        asio::steady_timer t(co_await asio::this_coro::executor, 5ms);
        co_await t.async_wait(asio::use_awaitable);
      }
    }
    ++finished;
  };
  for (int w = 0; w < 64; ++w) asio::co_spawn(ioc, worker(w), asio::detached);

  std::thread chaos([&] {
    std::this_thread::sleep_for(300ms);
    server.kill();
    std::this_thread::sleep_for(800ms);
    server.start();
    restarted = true;
    std::this_thread::sleep_for(700ms);
    stop = true;
  });
  run_until(
      ioc, [&] { return finished == 64; }, 10s);
  chaos.join();

  EXPECT_EQ(mismatched, 0);
  EXPECT_GT(failed, 0) << "the outage was not noticed";
  EXPECT_EQ(late, 0) << "requests waited past their deadline";
  EXPECT_GT(ok_after_restart, 100) << "the client did not recover after the restart";
  EXPECT_TRUE(failure_kinds.empty()) << failure_kinds.front();
  EXPECT_GE(s->stats().reconnects, 1u);
}

TEST(RedisClient, RequestsToAHungServerTimeOutAtTheirDeadline) {
  redis_server server;
  store_options opts;
  opts.request_timeout = 200ms;
  auto s = store::open(server.url(), opts);
  ASSERT_EQ(s->exec(command{"PING"}).string, "PONG");
  server.pause();
  const auto t0 = steady::now();
  try {
    s->exec(command{"PING"});
    ADD_FAILURE() << "a paused server answered";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::timeout);
  }
  const auto waited = steady::now() - t0;
  EXPECT_GE(waited, 190ms);
  EXPECT_LT(waited, 600ms);
  // A per-call deadline overrides the store's.
  const auto t1 = steady::now();
  EXPECT_THROW(s->exec(command{"PING"}, request_options{50ms}), error);
  EXPECT_LT(steady::now() - t1, 400ms);
  server.resume();
  // Replies to the timed-out requests arrive now and are dropped; the next one gets its own.
  EXPECT_EQ(s->exec(command{"ECHO", "after"}).string, "after");
}

TEST(RedisClient, FailFastPolicyFailsAtOnceWhileTheServerIsDown) {
  redis_server server;
  store_options opts;
  opts.on_outage = outage_policy::fail_fast;
  opts.request_timeout = 2s;
  auto s = store::open(server.url(), opts);
  ASSERT_EQ(s->exec(command{"PING"}).string, "PONG");
  server.kill();
  // The first request may find the dead connection; then fail-fast applies.
  for (int i = 0; i < 3; ++i) {
    try {
      s->exec(command{"PING"});
    } catch (const error&) {
    }
  }
  const auto t0 = steady::now();
  try {
    s->exec(command{"PING"});
    ADD_FAILURE() << "a dead server answered";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::not_connected);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("unreachable"));
  }
  EXPECT_LT(steady::now() - t0, 100ms);
  server.start();
  EXPECT_TRUE(test::wait_for_pong(*s)) << "no recovery after restart";
}

TEST(RedisClient, ScriptsAreCalledBySha1AndReloadedAfterScriptFlush) {
  redis_server server;
  auto s = store::open(server.url());
  const auto sc =
      script::make("test/echo", "return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
  auto r = s->eval(sc, {"n"}, {"a"});
  ASSERT_EQ(r.type, resp::type::array);
  ASSERT_EQ(r.elements.size(), 3u);
  EXPECT_EQ(r.elements[0].string, "n");
  EXPECT_EQ(r.elements[1].string, "a");
  EXPECT_EQ(r.elements[2].integer, 1);
  // The server now knows the script by its SHA: the same SHA Redis computes.
  auto exists = s->exec(command{"SCRIPT", "EXISTS", sc.sha1()});
  ASSERT_EQ(exists.elements.size(), 1u);
  EXPECT_EQ(exists.elements[0].integer, 1);

  s->exec(command{"SCRIPT", "FLUSH"});
  EXPECT_EQ(s->eval(sc, {"n"}, {"b"}).elements[2].integer, 2);
  // After a restart too.
  server.kill();
  server.start();
  ASSERT_TRUE(test::wait_for_pong(*s));
  const auto after = s->eval(sc, {"n"}, {"c"});
  ASSERT_EQ(after.elements.size(), 3u);
  EXPECT_EQ(after.elements[2].integer, 1);  // the dataset was not persisted

  // A script error is reported as such.
  const auto bad = script::make("test/bad", "return redis.call('NOPE')");
  try {
    s->eval(bad, {}, {});
    FAIL() << "expected a script error";
  } catch (const error& e) {
    EXPECT_NE(e.code(), errc::no_script);
  }
}

TEST(RedisClient, EmbeddedScriptsHaveTheShaRedisComputes) {
  redis_server server;
  auto s = store::open(server.url());
  ASSERT_FALSE(script::all_embedded().empty());
  for (const auto& sc : script::all_embedded()) {
    auto loaded = s->exec(command{"SCRIPT", "LOAD", sc.source()});
    EXPECT_EQ(loaded.string, sc.sha1()) << sc.name();
  }
  const auto& limiter = script::embedded("bench/sliding_log");
  for (int i = 0; i < 3; ++i) {
    auto r = s->eval(limiter, {"rl:{x}"}, {"2", "60000", "m" + std::to_string(i)});
    EXPECT_EQ(r.elements[0].integer, i < 2 ? 1 : 0) << "call " << i;
  }
  EXPECT_THROW(script::embedded("no/such"), error);
}

TEST(RedisClient, WrongPasswordIsAClearErrorNotATimeout) {
  redis_server_options o;
  o.password = "s3cret";
  redis_server server(o);
  store_options opts;
  opts.request_timeout = 3s;
  auto bad = store::open("redis://:wrong@127.0.0.1:" + std::to_string(server.port()), opts);
  const auto t0 = steady::now();
  try {
    bad->exec(command{"PING"});
    FAIL() << "authenticated with a wrong password";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::auth_failed);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("WRONGPASS"));
    EXPECT_THAT(e.what(), ::testing::Not(::testing::HasSubstr("wrong@")));
  }
  EXPECT_LT(steady::now() - t0, 2s);

  auto none = store::open(server.url(), opts);
  EXPECT_THROW(none->exec(command{"PING"}), error);

  auto good = store::open("redis://:s3cret@127.0.0.1:" + std::to_string(server.port()), opts);
  EXPECT_EQ(good->exec(command{"PING"}).string, "PONG");
}

TEST(RedisClient, AclUserLogsInAndIsLimitedByItsRules) {
  redis_server_options o;
  o.acl_users.push_back({"app", "p@ss:word", "on ~app:* +@all -flushall"});
  redis_server server(o);
  // The password holds '@' and ':' percent-encoded.
  auto s = store::open("redis://app:p%40ss%3Aword@127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(s->exec(command{"SET", "app:x", "1"}).string, "OK");
  EXPECT_EQ(s->exec(command{"ACL", "WHOAMI"}).string, "app");
  try {
    s->exec(command{"SET", "other", "1"});
    FAIL() << "ACL key pattern not applied";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::no_perm);
  }
}

TEST(RedisClient, TlsConnectionVerifiesTheServer) {
  redis_server_options o;
  o.tls = true;
  redis_server server(o);
  store_options opts;
  opts.tls.ca_file = server.ca_file();
  auto s = store::open(server.tls_url(), opts);
  EXPECT_EQ(s->exec(command{"PING"}).string, "PONG");
  const auto big = bytes_with_nul(300000, 3);
  EXPECT_EQ(s->exec(command{"SET", "t", big}).string, "OK");
  EXPECT_TRUE(s->exec(command{"GET", "t"}).string == big);

  // Mutual TLS with the client certificate.
  opts.tls.cert_file = server.client_cert_file();
  opts.tls.key_file = server.client_key_file();
  EXPECT_EQ(store::open(server.tls_url(), opts)->exec(command{"PING"}).string, "PONG");

  // Without the CA, verification fails: a connect error, never a silent plain-text fallback.
  store_options untrusted;
  untrusted.request_timeout = 500ms;
  untrusted.on_outage = outage_policy::fail_fast;
  auto bad = store::open(server.tls_url(), untrusted);
  try {
    bad->exec(command{"PING"});
    FAIL() << "connected to an unverified server";
  } catch (const error& e) {
    EXPECT_TRUE(e.code() == errc::not_connected || e.code() == errc::timeout) << e.what();
    EXPECT_THAT(e.what(), ::testing::HasSubstr("TLS"));
  }
}

TEST(RedisClient, UnixSocketAndDatabaseSelection) {
  redis_server_options o;
  o.unix_socket = true;
  redis_server server(o);
  auto s = store::open(server.unix_url() + "?db=3");
  EXPECT_EQ(s->exec(command{"SET", "u", "1"}).string, "OK");
  test::raw_redis raw(server.port());
  raw.command({"SELECT", "3"});
  EXPECT_EQ(raw.command({"GET", "u"}), "1");
  auto tcp = store::open(server.url() + "/3");
  EXPECT_EQ(tcp->exec(command{"GET", "u"}).string, "1");
}

TEST(RedisClient, Resp2ModeAndClientName) {
  redis_server server;
  store_options opts;
  opts.resp3 = false;
  opts.client_name = "redkit-test";
  auto s = store::open(server.url(), opts);
  s->exec(command{"HSET", "h", "f", "v"});
  auto all = s->exec(command{"HGETALL", "h"});
  EXPECT_EQ(all.type, resp::type::array);  // RESP2: a flat array, not a map
  EXPECT_EQ(s->exec(command{"CLIENT", "GETNAME"}).string, "redkit-test");
  auto s3 = store::open(server.url());
  EXPECT_EQ(s3->exec(command{"HGETALL", "h"}).type, resp::type::map);
}

TEST(RedisClient, CloseFailsWaitingRequestsAndLaterCalls) {
  redis_server server;
  auto s = store::open(server.url());
  ASSERT_EQ(s->exec(command{"PING"}).string, "PONG");
  server.pause();
  std::thread closer([&] {
    std::this_thread::sleep_for(100ms);
    s->close();
  });
  try {
    s->exec(command{"PING"}, request_options{5s});
    ADD_FAILURE() << "a paused server answered";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::shutting_down);
  }
  closer.join();
  server.resume();
  try {
    s->exec(command{"PING"});
    ADD_FAILURE() << "a closed store answered";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::shutting_down);
  }
}

TEST(RedisClient, BlockingCallOnTheStoresOwnThreadIsRefused) {
  redis_server server;
  asio::io_context ioc(1);
  auto s = open_on(ioc, server.url());
  bool refused = false;
  asio::post(ioc, [&] {
    try {
      s->exec(command{"PING"});
    } catch (const error& e) {
      refused = e.code() == errc::invalid_argument;
    }
  });
  ioc.run_for(500ms);
  EXPECT_TRUE(refused);
}

TEST(RedisClient, ConnectTimeoutToAnUnroutableServer) {
  // Nothing listens on this port: connection refused, repeatedly, and requests time out with
  // the connect error in their message.
  store_options opts;
  opts.request_timeout = 300ms;
  auto s = store::open("redis://127.0.0.1:1", opts);
  const auto t0 = steady::now();
  try {
    s->exec(command{"PING"});
    FAIL();
  } catch (const error& e) {
    EXPECT_EQ(e.code(), errc::timeout);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("unreachable"));
  }
  EXPECT_LT(steady::now() - t0, 800ms);
}

// The fixture every pattern test uses: one body, every backend.
class StoreBackends : public test::backend_test {};

TEST_P(StoreBackends, ExecPipelineAndEvalBehaveTheSame) {
  EXPECT_EQ(store_->exec(command{"SET", "a", "1"}).string, "OK");
  EXPECT_EQ(store_->exec(command{"INCRBY", "a", 41}).integer, 42);
  auto r = store_->pipeline({command{"GET", "a"}, command{"DEL", "a"}, command{"GET", "a"}});
  EXPECT_EQ(r[0].string, "42");
  EXPECT_EQ(r[1].integer, 1);
  EXPECT_TRUE(r[2].is_null());
  const auto sc = script::make("t", "return redis.call('SET', KEYS[1], ARGV[1])");
  EXPECT_EQ(store_->eval(sc, {"b"}, {"x"}).string, "OK");
  EXPECT_EQ(open_store()->exec(command{"GET", "b"}).string, "x");
}

REDKIT_ALL_BACKENDS(StoreBackends);

}  // namespace
}  // namespace redkit
