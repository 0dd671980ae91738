// The memory:// store: its background expiry sweep, options, the guard against blocking
// calls on its own thread, and MULTI ... EXEC inside one pipeline (against Redis too).
#include "support/backends.hpp"
#include "support/redis_server.hpp"
#include "support/store_helpers.hpp"

#include <redkit/store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string_view>
#include <thread>
#include <vector>

namespace redkit {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

TEST(EngineStore, BackgroundSweepDeletesExpiredKeysNobodyReads) {
  store_options opts;
  opts.engine.expire_sweep_interval = 10ms;
  auto s = store::open("memory://", opts);
  auto* engine = s->engine();
  ASSERT_NE(engine, nullptr);
  engine->set_time(std::chrono::system_clock::time_point(1'700'000'000'000ms));
  for (int i = 0; i < 100; ++i) {
    s->exec(command{"SET", "k" + std::to_string(i), "v", "PX", i < 60 ? 1000 : 100000});
  }
  EXPECT_EQ(engine->key_count(), 100u);
  engine->advance(1000ms);
  // Nothing reads the keys: only the sweep can delete them.
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (engine->key_count() != 40 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(engine->key_count(), 40u);
  EXPECT_EQ(s->exec(command{"DBSIZE"}).integer, 40);
}

TEST(EngineStore, MaxMemoryOptionRefusesWrites) {
  store_options opts;
  opts.engine.max_memory = 32 * 1024;
  auto s = store::open("memory://", opts);
  const auto e = test::error_from([&] {
    for (int i = 0; i < 100; ++i)
      s->exec(command{"SET", "k" + std::to_string(i), std::string(4096, 'x')});
  });
  ASSERT_TRUE(e) << "writes went past max_memory";
  EXPECT_EQ(e->code(), errc::out_of_memory);
  EXPECT_EQ(s->exec(command{"GET", "missing"}).type, resp::type::null);  // reads still work
}

// Dropping the last handle inside a completion that runs on the store's own thread must be
// safe on both backends (the thread cannot join itself; it must not lose its io_context).
TEST(StoreLifetime, LastHandleDroppedInsideItsOwnCompletion) {
  test::redis_server server;
  for (const auto& url : {std::string("memory://"), server.url()}) {
    for (int i = 0; i < 20; ++i) {
      std::promise<void> done;
      {
        auto s = store::open(url);
        s->async_exec(command{"PING"}, {}, [s, &done](std::exception_ptr, resp::reply) mutable {
          s.reset();  // the last handle: the store is destroyed right here, on its own thread
          done.set_value();
        });
      }
      ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready) << url;
    }
  }
  std::this_thread::sleep_for(100ms);  // detached threads finish their close
}

TEST(EngineStore, BlockingCallOnTheStoresOwnThreadIsRefused) {
  asio::io_context ioc(1);
  auto s = store::open(ioc.get_executor(), "memory://");
  bool refused = false;
  asio::post(ioc, [&] {
    try {
      s->exec(command{"PING"});
    } catch (const error& e) {
      refused = e.code() == errc::invalid_argument;
    }
  });
  ioc.run_for(200ms);
  EXPECT_TRUE(refused);
  s->close();
}

// MULTI ... EXEC / DISCARD inside one pipeline (the leaderboard's reads use them): the engine
// must answer as a Redis connection does, reply for reply.
class EngineStoreTransactions : public test::backend_test {
 protected:
  std::vector<resp::reply> run(std::vector<command> cmds) {
    return store_->pipeline(std::move(cmds));
  }
  static void expect_simple(const resp::reply& r, std::string_view text) {
    EXPECT_EQ(r.type, resp::type::simple_string) << resp::to_display(r);
    EXPECT_EQ(r.string, text) << resp::to_display(r);
  }
  /// An error of Redis's class `prefix` ("ERR", "EXECABORT"): the text's first word.
  static void expect_error(const resp::reply& r, std::string_view prefix) {
    EXPECT_TRUE(r.is_error()) << resp::to_display(r);
    EXPECT_EQ(r.string.substr(0, prefix.size() + 1), std::string(prefix) + " ")
        << resp::to_display(r);
  }
  /// GET `key` outside any transaction.
  resp::reply get(std::string_view key) { return store_->exec(command{"GET", key}); }
};

TEST_P(EngineStoreTransactions, PipelinedMultiExecQueuesThenRunsInOrder) {
  const auto rs = run({command{"MULTI"}, command{"SET", "k", "1"}, command{"INCR", "k"},
                       command{"GET", "k"}, command{"EXEC"}});
  ASSERT_EQ(rs.size(), 5u);
  expect_simple(rs[0], "OK");
  for (std::size_t i = 1; i <= 3; ++i) expect_simple(rs[i], "QUEUED");
  ASSERT_EQ(rs[4].type, resp::type::array) << resp::to_display(rs[4]);
  ASSERT_EQ(rs[4].elements.size(), 3u);
  expect_simple(rs[4].elements[0], "OK");
  EXPECT_EQ(rs[4].elements[1].type, resp::type::integer);
  EXPECT_EQ(rs[4].elements[1].integer, 2);
  EXPECT_EQ(rs[4].elements[2].type, resp::type::bulk_string);
  EXPECT_EQ(rs[4].elements[2].string, "2");
  EXPECT_EQ(get("k").string, "2");

  // Commands around the transaction run at once, in order; an empty transaction is [].
  const auto more = run({command{"INCR", "k"}, command{"MULTI"}, command{"EXEC"}, command{"MULTI"},
                         command{"INCR", "k"}, command{"EXEC"}, command{"GET", "k"}});
  ASSERT_EQ(more.size(), 7u);
  EXPECT_EQ(more[0].integer, 3);
  expect_simple(more[1], "OK");
  ASSERT_EQ(more[2].type, resp::type::array) << resp::to_display(more[2]);
  EXPECT_TRUE(more[2].elements.empty());
  expect_simple(more[3], "OK");
  expect_simple(more[4], "QUEUED");
  ASSERT_EQ(more[5].type, resp::type::array) << resp::to_display(more[5]);
  ASSERT_EQ(more[5].elements.size(), 1u);
  EXPECT_EQ(more[5].elements[0].integer, 4);
  EXPECT_EQ(more[6].string, "4");
}

// The connection is shared: a transaction must open and close in one pipeline, and WATCH
// cannot be offered. Such requests are refused before anything is sent.
TEST_P(EngineStoreTransactions, UnbalancedTransactionsAndWatchAreRefusedBeforeSending) {
  store_->exec(command{"SET", "k", "1"});
  const std::vector<std::vector<command>> refused = {
      {command{"EXEC"}},
      {command{"DISCARD"}, command{"SET", "k", "2"}},
      {command{"MULTI"}, command{"INCR", "k"}},
      {command{"MULTI"}, command{"MULTI"}, command{"EXEC"}},
      {command{"MULTI"}, command{"EXEC"}, command{"EXEC"}},
      {command{"WATCH", "k"}, command{"MULTI"}, command{"INCR", "k"}, command{"EXEC"}},
      {command{"UNWATCH"}},
  };
  for (const auto& cmds : refused) {
    SCOPED_TRACE(std::string(cmds.front().name()) + " ... (" + std::to_string(cmds.size()) +
                 " commands)");
    const auto e = test::error_from([&] { run(cmds); });
    ASSERT_TRUE(e);
    EXPECT_EQ(e->code(), errc::invalid_argument) << e->what();
  }
  for (const auto* name : {"MULTI", "EXEC", "DISCARD", "UNWATCH"}) {
    const auto e = test::error_from([&] { store_->exec(command{name}); });
    ASSERT_TRUE(e) << name;
    EXPECT_EQ(e->code(), errc::invalid_argument) << name;
  }
  EXPECT_EQ(get("k").string, "1");                           // nothing was applied
  EXPECT_EQ(store_->exec(command{"INCR", "k"}).integer, 2);  // and the connection is fine
}

TEST_P(EngineStoreTransactions, DiscardDropsTheQueuedCommands) {
  store_->exec(command{"SET", "k", "1"});
  const auto rs = run({command{"MULTI"}, command{"INCR", "k"}, command{"SET", "other", "x"},
                       command{"DISCARD"}, command{"GET", "k"}});
  ASSERT_EQ(rs.size(), 5u);
  expect_simple(rs[0], "OK");
  expect_simple(rs[1], "QUEUED");
  expect_simple(rs[2], "QUEUED");
  expect_simple(rs[3], "OK");
  EXPECT_EQ(rs[4].type, resp::type::bulk_string);  // run at once: no transaction any more
  EXPECT_EQ(rs[4].string, "1");
  EXPECT_EQ(get("k").string, "1");
  EXPECT_EQ(store_->exec(command{"EXISTS", "other"}).integer, 0);
}

TEST_P(EngineStoreTransactions, ACommandRefusedWhileQueuedAbortsTheTransaction) {
  store_->exec(command{"SET", "k", "1"});
  // An unknown command and a wrong number of arguments are refused when queued; EXEC then
  // runs nothing and answers EXECABORT.
  const std::vector<command> bad[] = {{command{"NO-SUCH-COMMAND", "k"}}, {command{"GET"}}};
  for (const auto& refused : bad) {
    SCOPED_TRACE(refused.front().name());
    std::vector<command> cmds{command{"MULTI"}, command{"INCR", "k"}};
    cmds.insert(cmds.end(), refused.begin(), refused.end());
    cmds.push_back(command{"INCR", "k"});
    cmds.push_back(command{"EXEC"});
    const auto rs = run(std::move(cmds));
    ASSERT_EQ(rs.size(), 5u);
    expect_simple(rs[0], "OK");
    expect_simple(rs[1], "QUEUED");
    expect_error(rs[2], "ERR");
    expect_simple(rs[3], "QUEUED");
    expect_error(rs[4], "EXECABORT");
    EXPECT_EQ(get("k").string, "1");
  }
}

REDKIT_ALL_BACKENDS(EngineStoreTransactions);

}  // namespace
}  // namespace redkit
