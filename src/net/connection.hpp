// A pipelined, self-healing connection to one Redis server.
//
// Requests from any thread append their encoded bytes to one output buffer and an entry to one
// FIFO under a short lock (never held across I/O). One write at a time sends whatever has
// queued; a reader coroutine parses replies and completes the FIFO's entries in order. The
// reader starts the next write after every slice of completions, so new requests reach the
// server while the rest of a large batch of replies is still being delivered: client and
// server work overlap instead of alternating.
// Each request has a deadline enforced by one timer; a request that times out after it was
// sent stays in the FIFO as a tombstone so that later replies still match their requests.
// On a lost connection, sent requests fail with connection_lost; unsent ones wait for the
// reconnect (or fail at once in fail-fast mode); reconnects back off exponentially with jitter.
//
// Thread-safety: every public member may be called from any thread.
#pragma once

#include "net/stream.hpp"

#include <redkit/resp.hpp>
#include <redkit/store.hpp>

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <random>

namespace redkit::net {

using clock = std::chrono::steady_clock;

/// Now, from the kernel's coarse monotonic clock (a few ms resolution, a fraction of the cost
/// of a precise read): good enough for request deadlines, read once per request.
clock::time_point coarse_now() noexcept;

/// What the owner of a connection adds to every session.
struct session_hooks {
  /// Sent after HELLO/AUTH/SELECT on every (re)connect, e.g. SUBSCRIBE; a connect succeeds
  /// only once `expected_replies` replies (pushes count) have come without an error.
  std::vector<command> commands;
  std::size_t expected_replies = 0;
  /// Receives every RESP3 push (pub/sub messages, invalidations), in order, on the strand.
  std::function<void(resp::reply)> on_push;
  /// Told the outcome of every connect attempt (empty code on success, and the error text).
  std::function<void(error_code, const std::string&)> on_connect;
  /// Told when an established session ends (before its requests fail), on the strand.
  std::function<void()> on_disconnect;
};

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(asio::any_io_executor ex, store_url url, store_options opts);
  ~connection();

  /// Installs session hooks; call before start().
  void set_hooks(session_hooks hooks);
  /// Starts connecting in the background (call once, after construction).
  void start();
  /// Fails every waiting request with shutting_down and stops the background work.
  void close();

  void exec(command cmd, request_options opts, store::exec_handler handler);
  void pipeline(std::vector<command> cmds, request_options opts, store::pipeline_handler handler);

  store_stats stats() const;
  const store_url& url() const noexcept { return url_; }

 private:
  struct op;
  using op_ptr = std::unique_ptr<op>;
  struct completion;  // an op's handler and outcome, run outside the lock

  void enqueue(op_ptr o, std::string_view wire);
  void complete(completion& c, bool may_run_inline) const;
  void complete_all(std::vector<completion>& cs, bool may_run_inline) const;
  void fail_op(op& o, std::vector<completion>& out, errc code, std::string_view why) const;
  void fail_all_locked(std::vector<completion>& out, errc code, std::string_view why);
  void compact_unsent_locked();
  std::string unreachable_suffix_locked() const;

  asio::awaitable<void> run();
  asio::awaitable<error_code> connect_once();
  asio::awaitable<error_code> handshake(std::string& why);
  asio::awaitable<void> reader();
  void start_write();
  void on_write(error_code ec);
  asio::awaitable<void> sweeper();
  void on_connection_lost(const std::string& why);
  void schedule_write_locked();
  void arm_sweeper_locked(clock::time_point deadline);
  clock::duration backoff(unsigned failures);

  asio::any_io_executor ex_;
  strand_type strand_;
  store_url url_;
  store_options opts_;
  std::shared_ptr<asio::ssl::context> tls_ctx_;
  stream stream_;
  resp::parser parser_;
  std::string read_buf_;
  std::size_t read_have_ = 0;  // bytes the handshake read past its replies, for the reader
  session_hooks hooks_;
  std::string write_buf_;
  asio::steady_timer sweep_timer_;
  asio::steady_timer retry_timer_;
  asio::steady_timer write_idle_;  // cancelled when the write in flight completes
  std::minstd_rand rng_;

  mutable std::mutex mu_;
  // --- guarded by mu_ ---
  std::deque<op_ptr> queue_;  // every request not yet answered, in wire order
  std::size_t sent_ = 0;      // the first sent_ entries of queue_ have been handed to write
  std::string out_;           // bytes of queue_[sent_..] not yet handed to a write
  bool connected_ = false;
  bool closed_ = false;
  bool write_in_flight_ = false;  // write_buf_ is being written
  bool write_scheduled_ = false;  // a start_write() is posted to the strand
  bool attempted_ = false;        // the first connect attempt has finished
  clock::time_point sweep_at_ = clock::time_point::max();
  std::string last_error_text_;
  bool permanent_failure_ = false;  // auth or TLS verification failed: fail requests at once
  store_stats stats_;
};

}  // namespace redkit::net
