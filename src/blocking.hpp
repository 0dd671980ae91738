// The blocking twins of the patterns' awaitable calls: run the awaitable on the store's
// executor and wait for it, refusing (rather than deadlocking) on the store's own I/O thread.
#pragma once

#include <redkit/error.hpp>
#include <redkit/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <string>
#include <string_view>

namespace redkit::detail {

/// Runs `make()`'s awaitable on `s`'s executor and returns its result (or throws its
/// exception). `pattern` and `call` name the call in the error raised on the I/O thread.
template <typename T, typename Make>
T run_blocking(store& s, std::string_view pattern, std::string_view call, Make make) {
  const auto ex = s.get_executor();
  if (const auto* io = ex.target<boost::asio::io_context::executor_type>();
      io && io->running_in_this_thread()) {
    throw error(make_error_code(errc::invalid_argument),
                std::string(pattern) + ": blocking " + std::string(call) +
                    " called on the store's I/O thread; co_await the async_ twin");
  }
  return boost::asio::co_spawn(ex, make(), boost::asio::use_future).get();
}

}  // namespace redkit::detail
