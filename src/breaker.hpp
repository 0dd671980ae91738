// The circuit breaker the patterns put in front of their store (the rate limiter's failure
// modes, the cache's fallback): after repeated failures, calls skip the store instead of
// paying its timeout, and one probe per interval finds out when it is back.
// Thread-safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

namespace redkit::detail {

/// Opens after `threshold` consecutive failures; while open, admits one probe per `open_for`
/// (counted from the last failure or probe).
class breaker {
 public:
  using clock = std::chrono::steady_clock;
  enum class gate {
    pass,   ///< closed: use the store
    probe,  ///< open, and this call is the probe: use the store
    skip,   ///< open: don't touch the store
  };
  breaker(unsigned threshold, std::chrono::milliseconds open_for)
      : threshold_(threshold), open_for_(open_for) {}

  gate admit(clock::time_point now);
  /// A store call succeeded: closes the breaker.
  void success();
  /// A store call failed; true if this failure opened the breaker.
  bool failure(clock::time_point now);
  bool is_open() const noexcept { return open_.load(std::memory_order_acquire); }

 private:
  const unsigned threshold_;
  const std::chrono::milliseconds open_for_;
  std::mutex mu_;
  std::atomic<bool> open_{false};
  std::atomic<unsigned> failures_{0};
  clock::time_point retry_at_;
};

}  // namespace redkit::detail
