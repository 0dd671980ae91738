// The memory:// store: its background expiry sweep, options, and the guard against blocking
// calls on its own thread.
#include "support/redis_server.hpp"
#include "support/store_helpers.hpp"

#include <redkit/store.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

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

}  // namespace
}  // namespace redkit
