// The store implementation for memory://: the embedded engine behind the store interface, and
// its in-process script path for callers that need no completion hop.
#pragma once

#include <redkit/store.hpp>

#include <span>
#include <string_view>

namespace redkit {

/// Opens an engine-backed store. `executor` may be null: the store then runs its own thread
/// (for the expiry sweep and for completing calls).
std::shared_ptr<store> open_engine_store(asio::any_io_executor executor, store_options options);

namespace detail {

/// Runs scripts at once on the calling thread, for stores that answer in process (the engine):
/// the same effects, reply and errors as async_eval, without the hop to the executor.
/// Thread-safety: as the store's.
class in_process_eval {
 public:
  /// Runs `s` (EVALSHA, loading it on NOSCRIPT) and returns its reply. Throws redkit::error
  /// where async_eval would complete with one.
  virtual resp::reply eval_now(const script& s, std::span<const std::string_view> keys,
                               std::span<const std::string_view> args) = 0;

 protected:
  ~in_process_eval() = default;
};

/// The in-process evaluator of `s`, or nullptr when it has none (a Redis store).
in_process_eval* in_process(store& s) noexcept;

}  // namespace detail

}  // namespace redkit
