// Delivering a result to a type-erased completion handler on the handler's own executor.
// Thread-safety: each call consumes its own handler; safe from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <utility>

namespace redkit::detail {

/// Runs `handler(args...)` on the handler's associated executor, inline if the calling thread
/// already runs it. Use only outside the call that initiated the operation.
template <typename Handler, typename... Args>
void dispatch_completion(Handler handler, Args... args) {
  auto ex = boost::asio::get_associated_executor(handler);
  boost::asio::dispatch(ex, [h = std::move(handler), ... a = std::move(args)]() mutable {
    std::move(h)(std::move(a)...);
  });
}

/// Like dispatch_completion, but never inline: first hops through `via` (the operation's own
/// executor), as Asio requires for results known inside the initiating call. (A type-erased
/// handler's executor cannot be posted to directly.)
template <typename Handler, typename... Args>
void post_completion(const boost::asio::any_io_executor& via, Handler handler, Args... args) {
  boost::asio::post(via, [h = std::move(handler), ... a = std::move(args)]() mutable {
    dispatch_completion(std::move(h), std::move(a)...);
  });
}

}  // namespace redkit::detail
