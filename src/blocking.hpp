// The blocking twins of the patterns' awaitable calls: run the awaitable on the store's
// executor and wait for it, refusing (rather than deadlocking) on the store's own I/O thread.
#pragma once

#include <redkit/error.hpp>
#include <redkit/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace redkit::detail {

/// Throws errc::invalid_argument when called on `s`'s own I/O thread, where waiting for the
/// store would deadlock. `pattern` and `call` name the call in the message.
inline void refuse_on_io_thread(store& s, std::string_view pattern, std::string_view call) {
  const auto ex = s.get_executor();
  if (const auto* io = ex.target<boost::asio::io_context::executor_type>();
      io && io->running_in_this_thread()) {
    throw error(make_error_code(errc::invalid_argument),
                std::string(pattern) + ": blocking " + std::string(call) +
                    " called on the store's I/O thread; co_await the async_ twin");
  }
}

/// Runs `make()`'s awaitable on `s`'s executor and returns its result (or throws its
/// exception). `pattern` and `call` name the call in the error raised on the I/O thread.
template <typename T, typename Make>
T run_blocking(store& s, std::string_view pattern, std::string_view call, Make make) {
  refuse_on_io_thread(s, pattern, call);
  return boost::asio::co_spawn(s.get_executor(), make(), boost::asio::use_future).get();
}

/// Same, but the awaitable runs on a private io_context on the calling thread, so what it
/// calls back (a blocking loader, say) runs here rather than on the store's I/O thread.
template <typename T, typename Make>
T run_on_calling_thread(store& s, std::string_view pattern, std::string_view call, Make make) {
  refuse_on_io_thread(s, pattern, call);
  boost::asio::io_context ctx;
  // Held until the call completes: while it waits on the store's executor, ctx may have
  // nothing of its own queued.
  auto guard = boost::asio::make_work_guard(ctx);
  std::exception_ptr err;
  if constexpr (std::is_void_v<T>) {
    boost::asio::co_spawn(ctx, make(), [&](std::exception_ptr e) {
      err = e;
      guard.reset();
    });
    ctx.run();
    if (err) std::rethrow_exception(err);
  } else {
    std::optional<T> out;
    boost::asio::co_spawn(ctx, make(), [&](std::exception_ptr e, T v) {
      err = e;
      if (!e) out.emplace(std::move(v));
      guard.reset();
    });
    ctx.run();
    if (err) std::rethrow_exception(err);
    return std::move(*out);
  }
}

}  // namespace redkit::detail
