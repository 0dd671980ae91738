// Single flight: concurrent calls for one key share one run of the work; the first caller
// runs it and every caller gets its result (or its exception), each on its own executor.
// Thread-safety: every member may be called from any thread and coroutine.
#pragma once

#include "completion.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace redkit::cache::detail {

namespace asio = boost::asio;

class single_flight {
 public:
  using result = std::optional<std::string>;

  /// `via`: an executor to post through when a result is already known (see post_completion).
  explicit single_flight(asio::any_io_executor via) : via_(std::move(via)) {}

  /// Runs `work()` unless a run for `key` is in flight, in which case waits for that run's
  /// outcome. `Work` returns asio::awaitable<result>.
  template <typename Work>
  asio::awaitable<result> run(const std::string& key, Work work) {
    std::shared_ptr<flight> f;
    bool lead = false;
    {
      std::lock_guard lock(mu_);
      auto& slot = flights_[key];
      if (!slot) {
        slot = std::make_shared<flight>();
        lead = true;
      }
      f = slot;
    }
    if (!lead) co_return co_await wait(f);
    outcome o;
    try {
      o.value = co_await work();
    } catch (...) {
      o.error = std::current_exception();
    }
    finish(key, f, o);
    if (o.error) std::rethrow_exception(o.error);
    co_return std::move(o.value);
  }

  /// Keys with a run in flight.
  std::size_t in_flight() const {
    std::lock_guard lock(mu_);
    return flights_.size();
  }

 private:
  using signature = void(std::exception_ptr, result);
  struct outcome {
    std::exception_ptr error;
    result value;
  };
  struct flight {
    std::mutex mu;
    bool done = false;
    outcome out;
    std::vector<asio::any_completion_handler<signature>> waiters;
  };

  asio::awaitable<result> wait(std::shared_ptr<flight> f) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, signature>(
        [this, f](auto handler) {
          std::unique_lock lock(f->mu);
          if (!f->done) {
            f->waiters.emplace_back(std::move(handler));
            return;
          }
          auto out = f->out;
          lock.unlock();
          redkit::detail::post_completion(via_, std::move(handler), out.error,
                                          std::move(out.value));
        },
        asio::use_awaitable);
  }

  void finish(const std::string& key, const std::shared_ptr<flight>& f, const outcome& o) {
    {
      std::lock_guard lock(mu_);
      flights_.erase(key);
    }
    std::vector<asio::any_completion_handler<signature>> waiters;
    {
      std::lock_guard lock(f->mu);
      f->done = true;
      f->out = o;
      waiters.swap(f->waiters);
    }
    for (auto& w : waiters) redkit::detail::dispatch_completion(std::move(w), o.error, o.value);
  }

  asio::any_io_executor via_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<flight>> flights_;
};

}  // namespace redkit::cache::detail
