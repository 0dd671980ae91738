// store::subscribe on every backend: ordered delivery, patterns, counts, refusal of
// SUBSCRIBE through exec, close, and (Redis) re-subscription after a server restart.
#include "support/backends.hpp"
#include "support/store_helpers.hpp"

#include <redkit/store.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace redkit {
namespace {

using namespace std::chrono_literals;

// Collects messages from a subscription's handler thread for the test thread.
class inbox {
 public:
  message_handler handler() {
    return [this](message m) {
      std::lock_guard lock(mu_);
      got_.push_back(std::move(m));
      cv_.notify_all();
    };
  }
  /// Waits until `n` messages have arrived (or 5 s) and returns them all.
  std::vector<message> wait_for(std::size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return got_.size() >= n; });
    return got_;
  }
  std::size_t size() {
    std::lock_guard lock(mu_);
    return got_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<message> got_;
};

class PubSub : public test::backend_test {};

TEST_P(PubSub, ChannelAndPatternMessagesArriveInPublishOrder) {
  inbox box;
  auto sub = store_->subscribe({"news", "alerts"}, {"log.*"}, box.handler());
  auto publisher = open_store();
  constexpr int n = 200;
  for (int i = 0; i < n; ++i) {
    const auto channel = i % 3 == 0 ? "news" : (i % 3 == 1 ? "alerts" : "log.app");
    const auto receivers = publisher->exec(command{"PUBLISH", channel, "m" + std::to_string(i)});
    EXPECT_EQ(receivers.integer, 1) << channel;
  }
  const auto got = box.wait_for(n);
  ASSERT_EQ(got.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(got[i].payload, "m" + std::to_string(i)) << "out of order at " << i;
  }
  EXPECT_EQ(got[0].channel, "news");
  EXPECT_EQ(got[0].pattern, "");
  EXPECT_EQ(got[2].channel, "log.app");
  EXPECT_EQ(got[2].pattern, "log.*");
  // Nobody listens on other channels; binary payloads survive.
  EXPECT_EQ(publisher->exec(command{"PUBLISH", "other", "x"}).integer, 0);
  const std::string binary("a\0b\r\nc", 6);
  publisher->exec(command{"PUBLISH", "news", binary});
  EXPECT_EQ(box.wait_for(n + 1).back().payload, binary);
}

TEST_P(PubSub, AChannelMatchedTwiceIsDeliveredTwiceAndCounted) {
  inbox box;
  auto sub = store_->subscribe({"a.b"}, {"a.*"}, box.handler());
  EXPECT_EQ(store_->exec(command{"PUBLISH", "a.b", "hello"}).integer, 2);
  const auto got = box.wait_for(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].pattern, "");  // the channel subscription first, as Redis does
  EXPECT_EQ(got[1].pattern, "a.*");
  auto numsub = store_->exec(command{"PUBSUB", "NUMSUB", "a.b", "none"});
  ASSERT_EQ(numsub.elements.size(), 4u);
  EXPECT_EQ(numsub.elements[1].integer, 1);
  EXPECT_EQ(numsub.elements[3].integer, 0);
  EXPECT_EQ(store_->exec(command{"PUBSUB", "NUMPAT"}).integer, 1);
  auto channels = store_->exec(command{"PUBSUB", "CHANNELS", "a*"});
  ASSERT_EQ(channels.elements.size(), 1u);
  EXPECT_EQ(channels.elements[0].string, "a.b");
}

TEST_P(PubSub, SubscribeThroughExecIsRefusedAndCloseStopsDelivery) {
  const auto e = test::error_from([&] { store_->exec(command{"SUBSCRIBE", "x"}); });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), errc::invalid_argument);
  EXPECT_THAT(e->what(), ::testing::HasSubstr("store::subscribe"));
  EXPECT_TRUE(test::error_from([&] { store_->pipeline({command{"PING"}, command{"MONITOR"}}); }));
  EXPECT_TRUE(test::error_from([&] { store_->subscribe({}, {}, [](message) {}); }));

  inbox box;
  auto sub = store_->subscribe({"c"}, {}, box.handler());
  EXPECT_EQ(store_->exec(command{"PUBLISH", "c", "1"}).integer, 1);
  box.wait_for(1);
  sub->close();
  // The server may take a moment to notice a closed connection.
  std::int64_t receivers = 1;
  for (int i = 0; i < 100 && receivers != 0; ++i) {
    receivers = store_->exec(command{"PUBLISH", "c", "2"}).integer;
    if (receivers != 0) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(receivers, 0);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(box.size(), 1u);
}

TEST(RedisPubSub, SubscriptionResubscribesAfterARestart) {
  test::redis_server server;
  auto publisher = store::open(server.url());
  store_options fast;
  fast.reconnect_max = 50ms;
  auto sub_store = store::open(server.url(), fast);
  inbox box;
  auto sub = sub_store->subscribe({"r"}, {}, box.handler());
  EXPECT_EQ(publisher->exec(command{"PUBLISH", "r", "before"}).integer, 1);
  box.wait_for(1);
  server.kill();
  server.start();
  ASSERT_TRUE(test::wait_for_pong(*publisher));
  std::int64_t receivers = 0;
  for (int i = 0; i < 200 && receivers == 0; ++i) {
    receivers = publisher->exec(command{"PUBLISH", "r", "after"}).integer;
    if (receivers == 0) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(receivers, 1) << "the subscription did not come back";
  const auto got = box.wait_for(2);
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got.back().payload, "after");
}

TEST_P(PubSub, HandlerMayCloseItsOwnSubscription) {
  std::shared_ptr<subscription> sub;
  std::mutex mu;
  std::atomic<int> calls{0};
  sub = store_->subscribe({"once"}, {}, [&](message) {
    ++calls;
    std::lock_guard lock(mu);
    if (sub) sub->close();  // from inside its own delivery
  });
  {
    std::lock_guard lock(mu);  // `sub` is assigned before any message can see it
  }
  // A burst in one pipeline: several messages can arrive in one read.
  std::vector<command> burst;
  for (int i = 0; i < 20; ++i) burst.emplace_back("PUBLISH", "once", "x");
  store_->pipeline(std::move(burst));
  std::int64_t receivers = 1;
  for (int i = 0; i < 200 && receivers != 0; ++i) {
    receivers = store_->exec(command{"PUBLISH", "once", "x"}).integer;
    if (receivers != 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(receivers, 0);
  EXPECT_EQ(calls.load(), 1) << "messages were delivered after close()";
}

TEST(EnginePubSub, DroppingSubscriptionsWhilePublishingIsSafe) {
  // A subscription dropped while PUBLISH delivers to it must neither deadlock nor crash.
  auto s = store::open("memory://");
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> delivered{0};
  std::vector<std::thread> publishers;
  for (int t = 0; t < 2; ++t) {
    publishers.emplace_back([&] {
      while (!stop) s->exec(command{"PUBLISH", "hot", "x"});
    });
  }
  for (int i = 0; i < 300; ++i) {
    auto sub = s->subscribe({"hot"}, {"h*"}, [&](message) { ++delivered; });
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }  // each subscription is dropped here, mid-stream
  stop = true;
  for (auto& p : publishers) p.join();
  EXPECT_GT(delivered.load(), 0);
  EXPECT_EQ(s->exec(command{"PUBLISH", "hot", "x"}).integer, 0);  // nobody left subscribed
}

INSTANTIATE_TEST_SUITE_P(Backends, PubSub,
                         ::testing::Values(test::backend::engine, test::backend::redis),
                         [](const auto& info) { return test::to_string(info.param); });

}  // namespace
}  // namespace redkit
