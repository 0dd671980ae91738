// An io_context run by one background thread for a store's lifetime (stores opened without an
// executor get one).
// Thread-safety: construct and destroy from one thread; the context is thread-safe.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <thread>

namespace redkit::detail {

struct io_thread {
  boost::asio::io_context ioc{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
      ioc.get_executor()};
  std::thread thread{[this] { ioc.run(); }};

  ~io_thread() {
    guard.reset();
    if (thread.get_id() == std::this_thread::get_id()) {
      thread.detach();  // the last handle was dropped inside a completion: cannot join self
    } else {
      thread.join();
    }
  }
};

}  // namespace redkit::detail
