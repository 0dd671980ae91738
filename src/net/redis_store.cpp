// redis_store: the public store interface over one pipelined connection, with an optional
// I/O thread of its own.
#include "net/redis_store.hpp"

#include "net/connection.hpp"
#include "net/subscriber.hpp"

#include "io_thread.hpp"

#include <boost/asio/io_context.hpp>

#include <optional>

namespace redkit::net {
namespace {

using detail::io_thread;

class redis_store final : public store {
 public:
  redis_store(asio::any_io_executor ex, store_url url, store_options opts,
              std::unique_ptr<io_thread> thread)
      : thread_(std::move(thread)),
        ex_(std::move(ex)),
        url_(url),
        opts_(opts),
        conn_(std::make_shared<connection>(ex_, std::move(url), std::move(opts))) {
    if (const auto* io_ex = ex_.target<asio::io_context::executor_type>()) {
      ioc_ = &io_ex->context();
    }
    conn_->start();
  }

  ~redis_store() override {
    conn_->close();
    conn_.reset();
    thread_.reset();  // joins after the connection's coroutines have finished
  }

  asio::any_io_executor get_executor() const override { return ex_; }
  store_stats stats() const override { return conn_->stats(); }
  void close() override { conn_->close(); }
  std::string describe() const override { return conn_->url().redacted(); }

 protected:
  std::shared_ptr<subscription> do_subscribe(std::vector<std::string> channels,
                                             std::vector<std::string> patterns,
                                             message_handler handler,
                                             subscription_state_handler on_state) override {
    if (running_in_io_thread()) {
      throw error(make_error_code(errc::invalid_argument),
                  "store::subscribe called on the store's own I/O thread (it would deadlock)");
    }
    return open_redis_subscription(ex_, url_, opts_, channels, patterns, std::move(handler),
                                   std::move(on_state));
  }
  void do_exec(command cmd, request_options opts, exec_handler handler) override {
    conn_->exec(std::move(cmd), opts, std::move(handler));
  }
  void do_pipeline(std::vector<command> cmds, request_options opts,
                   pipeline_handler handler) override {
    conn_->pipeline(std::move(cmds), opts, std::move(handler));
  }
  bool running_in_io_thread() const override {
    return ioc_ != nullptr && ioc_->get_executor().running_in_this_thread();
  }

 private:
  std::unique_ptr<io_thread> thread_;
  asio::any_io_executor ex_;
  asio::io_context* ioc_ = nullptr;
  store_url url_;
  store_options opts_;
  std::shared_ptr<connection> conn_;
};

}  // namespace

std::shared_ptr<store> open_redis_store(asio::any_io_executor executor, store_url url,
                                        store_options options) {
  std::unique_ptr<io_thread> thread;
  if (!executor) {
    thread = std::make_unique<io_thread>();
    executor = thread->ioc.get_executor();
  }
  return std::make_shared<redis_store>(std::move(executor), std::move(url), std::move(options),
                                       std::move(thread));
}

}  // namespace redkit::net
