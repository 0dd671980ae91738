// The circuit breaker (see breaker.hpp).
#include "breaker.hpp"

namespace redkit::detail {

breaker::gate breaker::admit(clock::time_point now) {
  if (!open_.load(std::memory_order_acquire)) return gate::pass;
  std::lock_guard lock(mu_);
  if (!open_) return gate::pass;
  // One probe per open_for: a probe that never reports (its call was abandoned) does not
  // keep the breaker open forever.
  if (now >= retry_at_) {
    retry_at_ = now + open_for_;
    return gate::probe;
  }
  return gate::skip;
}

void breaker::success() {
  if (!open_.load(std::memory_order_acquire) && failures_.load(std::memory_order_relaxed) == 0) {
    return;
  }
  std::lock_guard lock(mu_);
  failures_ = 0;
  open_ = false;
}

bool breaker::failure(clock::time_point now) {
  std::lock_guard lock(mu_);
  retry_at_ = now + open_for_;
  if (open_) return false;
  if (++failures_ < threshold_) return false;
  open_ = true;
  return true;
}

}  // namespace redkit::detail
