// batch_queue: the gate of a script batcher. Work that arrives while `max_in_flight` calls are
// out waits; each call that ends takes what waited (up to `max_batch` entries) into the next.
// The batcher builds and sends the calls; this only decides when and with what.
// Thread-safety: safe from any thread.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

namespace redkit::detail {

template <typename Entry>
class batch_queue {
 public:
  batch_queue(std::size_t max_batch, unsigned max_in_flight)
      : max_batch_(max_batch), max_in_flight_(max_in_flight) {}

  /// Queues `e`; returns the batch to send now (empty: a call in flight will take it).
  std::vector<Entry> submit(Entry e) {
    std::vector<Entry> batch;
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(e));
    if (in_flight_ >= max_in_flight_) return batch;
    ++in_flight_;
    take(batch);
    return batch;
  }

  /// One call has ended; returns the next batch to send (empty: nothing waits).
  std::vector<Entry> finished() {
    std::vector<Entry> batch;
    std::lock_guard lock(mu_);
    --in_flight_;
    if (queue_.empty()) return batch;
    ++in_flight_;
    take(batch);
    return batch;
  }

 private:
  // Under the lock.
  void take(std::vector<Entry>& out) {
    const auto n = std::min(queue_.size(), max_batch_);
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }

  const std::size_t max_batch_;
  const unsigned max_in_flight_;
  std::mutex mu_;
  std::deque<Entry> queue_;
  unsigned in_flight_ = 0;
};

}  // namespace redkit::detail
