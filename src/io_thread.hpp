// An io_context run by one background thread for a store's lifetime (stores opened without an
// executor get one).
// The thread shares ownership of its io_context: if the last store handle is dropped inside a
// completion running on that very thread, the thread cannot be joined, so it is detached and
// finishes the remaining work (the store's close) before the context is destroyed, on that
// same thread, after run() returns.
// Thread-safety: construct and destroy from one thread; the context is thread-safe.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <thread>

namespace redkit::detail {

struct io_thread {
  struct context {
    boost::asio::io_context ioc{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
        ioc.get_executor()};
  };

  std::shared_ptr<context> shared = std::make_shared<context>();
  boost::asio::io_context& ioc = shared->ioc;
  std::thread thread{[keep = shared] { keep->ioc.run(); }};

  io_thread() = default;
  io_thread(const io_thread&) = delete;
  io_thread& operator=(const io_thread&) = delete;

  ~io_thread() {
    shared->guard.reset();
    if (thread.get_id() == std::this_thread::get_id()) {
      thread.detach();  // dropped inside one of its own completions: it ends by itself
    } else {
      thread.join();
    }
  }
};

}  // namespace redkit::detail
