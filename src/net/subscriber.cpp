// Redis subscriptions: one connection each, re-subscribing on every reconnect.
#include "net/subscriber.hpp"

#include "net/connection.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>

namespace redkit::net {
namespace {

class redis_subscription final : public subscription {
 public:
  redis_subscription(std::shared_ptr<connection> conn, std::shared_ptr<std::atomic<bool>> closed)
      : conn_(std::move(conn)), closed_(std::move(closed)) {}
  ~redis_subscription() override { close(); }
  void close() override {
    *closed_ = true;  // messages already read in the same batch are not delivered either
    conn_->close();
  }

 private:
  std::shared_ptr<connection> conn_;
  std::shared_ptr<std::atomic<bool>> closed_;
};

// A push is ["message", channel, payload] or ["pmessage", pattern, channel, payload];
// subscribe confirmations and anything else are not messages.
bool to_message(const resp::reply& push, message& out) {
  const auto& e = push.elements;
  if (e.size() == 3 && e[0].string == "message") {
    out = message{e[1].string, {}, e[2].string};
    return true;
  }
  if (e.size() == 4 && e[0].string == "pmessage") {
    out = message{e[2].string, e[1].string, e[3].string};
    return true;
  }
  return false;
}

}  // namespace

std::shared_ptr<subscription> open_redis_subscription(asio::any_io_executor executor,
                                                      const store_url& url, store_options options,
                                                      const std::vector<std::string>& channels,
                                                      const std::vector<std::string>& patterns,
                                                      message_handler handler,
                                                      subscription_state_handler on_state) {
  options.resp3 = true;  // messages arrive as pushes next to ordinary replies
  options.on_outage = outage_policy::wait;
  const auto deadline = options.connect_timeout + options.request_timeout;
  auto conn = std::make_shared<connection>(std::move(executor), url, options);

  session_hooks hooks;
  if (!channels.empty()) hooks.commands.push_back(command::from("SUBSCRIBE", channels));
  if (!patterns.empty()) hooks.commands.push_back(command::from("PSUBSCRIBE", patterns));
  hooks.expected_replies = channels.size() + patterns.size();  // one confirmation per name
  auto closed = std::make_shared<std::atomic<bool>>(false);
  hooks.on_push = [handler = std::move(handler), closed](const resp::reply& push) {
    message m;
    if (!*closed && to_message(push, m)) handler(std::move(m));
  };
  // The first successful connect (subscriptions confirmed) releases the caller.
  struct first_connect {
    std::mutex mu;
    std::promise<void> done;
    bool set = false;
    std::string last_error;
  };
  auto first = std::make_shared<first_connect>();
  hooks.on_connect = [first, on_state, closed](error_code ec, const std::string& why) {
    std::unique_lock lock(first->mu);
    if (first->set) {
      lock.unlock();
      if (!ec && on_state && !*closed) on_state(true);
      return;
    }
    if (ec) {
      first->last_error = why;
      return;
    }
    first->set = true;
    first->done.set_value();
  };
  if (on_state) {
    hooks.on_disconnect = [first, on_state, closed] {
      {
        std::lock_guard lock(first->mu);
        if (!first->set) return;
      }
      if (!*closed) on_state(false);
    };
  }
  conn->set_hooks(std::move(hooks));
  conn->start();

  auto sub = std::make_shared<redis_subscription>(conn, closed);
  if (first->done.get_future().wait_for(deadline) != std::future_status::ready) {
    sub->close();
    std::lock_guard lock(first->mu);
    throw error(make_error_code(errc::timeout),
                "subscribe did not become active within " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::milliseconds>(deadline).count()) +
                    " ms" + (first->last_error.empty() ? "" : " (" + first->last_error + ")") +
                    " [in SUBSCRIBE]");
  }
  return sub;
}

}  // namespace redkit::net
