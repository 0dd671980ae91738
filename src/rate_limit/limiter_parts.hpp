// Pieces of the limiter that are tested on their own: turning the check script's reply into a
// decision and the shield of recent denials (the breaker is shared: breaker.hpp).
// Thread-safety: decide is a pure function; the shield is safe from any thread.
#pragma once

#include <redkit/rate_limiter.hpp>

#include "breaker.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

namespace redkit::rate_limit {

/// check.lua's reply as integers. Throws redkit::error(errc::unexpected_reply) when it is not
/// an array of integers.
std::vector<std::int64_t> reply_integers(const resp::reply& r);
/// The same into `out` (cleared first), for callers that reuse a buffer.
void reply_integers(const resp::reply& r, std::vector<std::int64_t>& out);

/// The decision for `policies` from one request's part of check.lua's reply (1 + 4 ×
/// policies integers). Throws redkit::error(errc::unexpected_reply) for another size.
decision decide(std::span<const policy> policies, std::span<const std::int64_t> r);

/// The circuit breaker, shared with the other patterns.
using detail::breaker;

/// Denials remembered until their retry time, by request signature. The caller gives the time
/// (the limiter's clock: the engine's, which tests move, when the store is an engine).
class shield {
 public:
  using clock = std::chrono::steady_clock;
  struct hit {
    clock::time_point until;
    std::string policy;
    std::uint64_t limit = 0;
  };
  explicit shield(std::size_t max_entries) : max_entries_(max_entries) {}

  /// No denial remembered (a lock-free read): callers skip building a key.
  bool empty() const { return size_.load(std::memory_order_relaxed) == 0; }
  /// The live denial remembered for `key`, if any.
  std::optional<hit> find(const std::string& key, clock::time_point now);
  /// Remembers a denial. When full of live entries, the new one is not remembered.
  void remember(std::string key, hit h, clock::time_point now);
  /// Forgets every entry whose key starts with `prefix`.
  void forget_prefix(std::string_view prefix);

 private:
  const std::size_t max_entries_;
  std::mutex mu_;
  std::atomic<std::size_t> size_{0};
  std::unordered_map<std::string, hit> entries_;
};

}  // namespace redkit::rate_limit
