// Password hashing for the account endpoints: argon2id (libsodium's crypto_pwhash_str) on a
// small thread pool of its own, so a hash never blocks a server I/O thread, with a bound on
// the hashes running (the pool's threads: memory is threads × the cost's memory limit) and on
// those waiting (beyond it a call fails at once with 503).
// Thread-safety: a password_hasher may be used from any number of threads and coroutines.
#pragma once

#include <redkit/http_auth.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace redkit::http::detail {

class password_hasher : public std::enable_shared_from_this<password_hasher> {
 public:
  /// Starts `threads` hashing threads and hashes a random password once, for verify() of
  /// unknown accounts. Throws redkit::error(errc::invalid_argument) for zero threads or when
  /// libsodium cannot start.
  password_hasher(password_cost cost, unsigned threads, std::size_t queue);
  /// Waits for the hashes running.
  ~password_hasher();
  /// For shutdown, once nothing else runs: waits for the hashes running, and the ones waiting
  /// end at once with 503, as do later calls; their results are posted to their callers'
  /// executors. Idempotent.
  void stop();
  password_hasher(const password_hasher&) = delete;
  password_hasher& operator=(const password_hasher&) = delete;

  /// The argon2id hash of `password` in libsodium's string form ("$argon2id$v=19$...").
  /// Throws problem_error 503 when the queue is full, std::runtime_error when libsodium runs out of
  /// memory (a 500).
  asio::awaitable<std::string> async_hash(std::string password);
  /// Whether `password` matches `hash`. An empty `hash` (no such account) is checked against
  /// the dummy hash, so it costs as much as a wrong password, and answers false. Throws
  /// problem_error 503 when the queue is full.
  asio::awaitable<bool> async_verify(std::string hash, std::string password);

  /// Hashes running or waiting now.
  std::size_t pending() const noexcept { return pending_->load(); }
  /// Calls refused because the queue was full.
  std::uint64_t rejected() const noexcept { return rejected_.load(); }

 private:
  /// Throws problem_error 503 once stop() was called.
  void check_running() const;
  /// Reserves a place in the queue; throws problem_error 503 when there is none.
  void reserve();

  unsigned long long opslimit_;
  std::size_t memlimit_;
  std::size_t limit_;  // running + waiting
  std::string dummy_;
  // Shared with the coroutines' release guards, which may outlive this object at shutdown.
  std::shared_ptr<std::atomic<std::size_t>> pending_;
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<bool> stopped_{false};
  asio::thread_pool pool_;
};

}  // namespace redkit::http::detail
