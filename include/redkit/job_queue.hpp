// A distributed job queue on a store (Redis or the engine): at-least-once delivery with leases,
// fencing tokens, retries with backoff, a dead-letter set, priorities with FIFO ties, delays,
// deduplication by id, pause/resume, and workers that wait for work without polling.
//
// Storage: every key of a queue shares the `{<queue>}` hash tag, under `<prefix>:q:{<queue>}`:
// per-queue hashes keyed by job id (fixed fields, attempts and lease token, last error), and
// sorted sets of pending (priority, then FIFO), delayed, active (by lease end) and dead jobs
// (see scripts/queue/lib/queue.lua). Every state change is one script.
//
// Delivery: a worker leases jobs with a token; while a handler runs, the worker renews the lease
// (heartbeat); a job whose lease ends (its worker crashed or hung) is given to another worker by
// whichever worker next touches the queue; completing or failing checks the token, so a worker
// that lost its lease cannot touch the job. Attempts are counted at lease time. So a job runs at
// least once, and more than once only if its worker loses its lease: handlers should be
// idempotent. Workers that run elsewhere (over HTTP) use lease_client: the same leases, tokens
// and scripts, one call at a time (reserve, heartbeat, ack, fail, release).
//
// Thread-safety: queue, worker and lease_client may be used from any thread. Like Asio I/O objects
// they must outlive their calls in flight; string_view arguments of async_ calls must stay valid
// until the call completes.
#pragma once

#include <redkit/store.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace redkit::queue {

using clock = std::chrono::system_clock;

/// Where a job is: waiting (pending), not due yet (delayed), running (active), failed and
/// waiting for its retry (failed), done (completed, when kept) or out of attempts (dead).
enum class job_state { pending, delayed, active, completed, failed, dead };
std::string_view to_string(job_state s) noexcept;

/// How one job is enqueued.
struct job_options {
  /// Lower runs first; FIFO within one priority. 0 to 1,048,575. Default 0.
  std::uint32_t priority = 0;
  /// Runs (first + retries) before the job goes to the dead set. At least 1. Default 3.
  std::uint32_t max_attempts = 3;
  /// Not before this long from now. Default 0.
  std::chrono::milliseconds delay{0};
  /// Not before this time (by the store's clock); wins over `delay` when set. Default: none.
  std::optional<clock::time_point> run_at;
  /// The job's id (1-200 bytes): an enqueue with an id that is pending, delayed, active or
  /// failed (waiting for its retry) is a no-op that reports the existing job. Default: a fresh
  /// random id.
  std::string id;
  /// A run longer than this fails (and may be retried); 0: the worker's default.
  std::chrono::milliseconds timeout{0};
};

/// One job to enqueue (enqueue_bulk).
struct job_spec {
  std::string type;     ///< selects the handler; 1-200 bytes
  std::string payload;  ///< opaque bytes (JSON by convention)
  job_options options;
};

struct enqueued {
  std::string id;
  bool created = true;  ///< false: a job with this id was already pending, delayed or active
  job_state state = job_state::pending;
};

/// A leased job, as a handler sees it.
struct job {
  std::string id;
  std::string type;
  std::string payload;
  std::uint32_t attempt = 1;  ///< this run's number, 1-based
  std::uint32_t max_attempts = 1;
  clock::time_point created;
};

struct job_status {
  std::string id;
  std::string type;
  job_state state = job_state::pending;
  std::uint32_t attempts = 0;
  std::uint32_t max_attempts = 0;
  std::string last_error;  ///< empty when none
  clock::time_point created;
};

struct dead_job {
  std::string id;
  std::string type;
  std::string payload;
  std::uint32_t attempts = 0;
  std::uint32_t max_attempts = 0;
  std::string last_error;
  clock::time_point created;
  clock::time_point died;
};

struct queue_stats {
  std::uint64_t pending = 0;
  std::uint64_t delayed = 0;
  std::uint64_t active = 0;
  std::uint64_t dead = 0;
  std::uint64_t completed = 0;  ///< total since the queue began
  std::uint64_t failed = 0;     ///< failed runs (retried or dead) since the queue began
  bool paused = false;
};

/// A queue's options. dead_cap and keep_completed* are applied where jobs finish, by workers
/// (worker_options::queue); a queue object that only produces jobs uses prefix and timeout.
struct queue_options {
  /// First part of every key. Default "rk".
  std::string prefix = "rk";
  /// Most jobs the dead set keeps (the oldest go, with their data); 0: no cap. Default 10,000.
  std::size_t dead_cap = 10000;
  /// Completed jobs kept for status(): by count and by age (0: none). Default 0 and 0, so a
  /// completed job's data is removed at once.
  std::size_t keep_completed = 0;
  std::chrono::milliseconds keep_completed_for{0};
  /// Deadline of each store call. Default 2 s.
  std::chrono::milliseconds timeout{2000};
};

/// Producing and managing jobs. Store failures raise redkit::error.
class queue {
 public:
  /// Throws errc::invalid_argument for a name that is empty, over 200 bytes or holds '{'/'}'.
  queue(std::shared_ptr<store> s, std::string name, queue_options o = {});
  ~queue();
  queue(const queue&) = delete;
  queue& operator=(const queue&) = delete;

  /// Enqueues one job. Throws errc::invalid_argument for a bad type, id or option. (With
  /// g++ 12, pass `o` as a named variable: a braced temporary inside a co_await expression is
  /// miscompiled there.)
  asio::awaitable<enqueued> async_enqueue(std::string_view type, std::string payload,
                                          const job_options& o);
  /// The same with the default options. (An overload, not a default argument: g++ 12 builds a
  /// defaulted class-type argument wrongly in a calling coroutine.)
  asio::awaitable<enqueued> async_enqueue(std::string_view type, std::string payload);
  /// Enqueues every job in one round trip (atomically).
  asio::awaitable<std::vector<enqueued>> async_enqueue_bulk(std::vector<job_spec> jobs);
  /// The job's state, attempts and last error; nothing for an unknown (or removed) id.
  asio::awaitable<std::optional<job_status>> async_status(std::string_view id);
  /// All counts in one atomic read.
  asio::awaitable<queue_stats> async_stats();
  /// Workers stop taking jobs (running ones finish) until resume().
  asio::awaitable<void> async_pause();
  asio::awaitable<void> async_resume();
  /// Dead jobs, oldest first, from `offset` (at most 1000).
  asio::awaitable<std::vector<dead_job>> async_dead(std::size_t offset = 0,
                                                    std::size_t count = 100);
  /// Makes dead jobs pending again with their attempts reset (`ids` empty: all); returns how many.
  asio::awaitable<std::size_t> async_retry_dead(std::vector<std::string> ids = {});
  /// Deletes dead jobs (`ids` empty: all); returns how many.
  asio::awaitable<std::size_t> async_delete_dead(std::vector<std::string> ids = {});

  /// Blocking twins (not from the store's own I/O thread).
  enqueued enqueue(std::string_view type, std::string payload, job_options o = {});
  std::vector<enqueued> enqueue_bulk(std::vector<job_spec> jobs);
  std::optional<job_status> status(std::string_view id);
  queue_stats stats();
  void pause();
  void resume();
  std::vector<dead_job> dead(std::size_t offset = 0, std::size_t count = 100);
  std::size_t retry_dead(std::vector<std::string> ids = {});
  std::size_t delete_dead(std::vector<std::string> ids = {});

  /// The queue's key prefix, `<prefix>:q:{<name>}`.
  const std::string& base() const noexcept;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// A job handler: returns normally on success; an exception fails the run (its what() is the
/// job's error). It is cancelled (asio cancellation) when the job's timeout passes.
using handler = std::function<asio::awaitable<void>(const job&)>;

/// Retry delays: `base` × 2^(attempt − 1), at most `cap`, with ±`jitter` of it random (or
/// `fixed` when set).
struct backoff {
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds cap{std::chrono::hours(1)};
  double jitter = 0.2;
  std::optional<std::chrono::milliseconds> fixed;
};

struct worker_options {
  /// Jobs run at once by this worker. Default 8.
  unsigned concurrency = 8;
  /// Jobs leased ahead of free slots, so that one store round trip settles and leases many
  /// jobs; they wait in the worker (their leases renewed) and a stop gives them back at once.
  /// Default 32.
  unsigned prefetch = 32;
  /// A leased job is given to another worker if not renewed for this long. Default 30 s.
  std::chrono::milliseconds lease{30000};
  /// Leases are renewed every lease / 3.
  /// Default job timeout (a job's own timeout wins); 0: none. Default 0.
  std::chrono::milliseconds job_timeout{0};
  /// Retry delays.
  struct backoff backoff;
  /// Longest wait without work before looking at the queue again (delayed jobs and lost
  /// leases are also found then); an enqueue wakes idle workers at once. Default 1 s.
  std::chrono::milliseconds idle_check{1000};
  /// The queue's options (prefix, dead cap, kept completed jobs, store deadline).
  queue_options queue;
  /// Where handler failures are reported. Default: none.
  std::function<void(const job&, std::string_view error)> on_failure;
};

/// Runs jobs: handlers by type, `concurrency` at once, with leases renewed by heartbeat.
class worker {
 public:
  worker(std::shared_ptr<store> s, std::string queue_name, worker_options o = {});
  ~worker();
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Registers the handler of `type` (before start()). A job with no handler fails.
  void on(std::string type, handler h);
  /// Starts taking jobs, on the store's executor. Throws if already started.
  void start();
  /// Stops taking jobs, lets running jobs finish for up to `grace`, then gives the leases of
  /// the unfinished ones back (pending again at once, their attempt not counted) and cancels
  /// them. Completes when the worker is idle.
  asio::awaitable<void> async_stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  struct counters {
    std::uint64_t completed = 0;  ///< runs this worker completed
    std::uint64_t settled = 0;    ///< completed runs the store has recorded
    std::uint64_t failed = 0;     ///< runs that failed (exception, timeout, no handler)
    std::uint64_t lost = 0;       ///< settlements refused: the lease had been lost
    std::uint64_t cycles = 0;     ///< store round trips taking or settling jobs
  };
  counters stats() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// A job leased through a lease_client: the job, its lease token and the lease's end.
struct leased_job : job {
  std::string token;  ///< names the lease in heartbeat, ack, fail and release
  /// When the lease ends unless renewed, by the store's clock.
  clock::time_point lease_end;
  /// The job's own run time limit (job_options::timeout); 0: none.
  std::chrono::milliseconds timeout{0};
};

/// What fail() did with a run.
enum class fail_outcome {
  retried,  ///< retried after its delay (state failed; pending at once for a zero delay)
  dead,     ///< that was its last attempt: it is in the dead set
  lost,     ///< nothing: the lease was lost (it ended and the job was leased again, or settled)
};

struct lease_options {
  /// The queue's options (prefix, dead cap, kept completed jobs, store deadline).
  queue_options queue;
  /// Retry delays of fail() without a delay of its own.
  struct backoff backoff;
  /// Longest step of a waiting reserve without looking at the queue (a job coming due and an
  /// expired lease are found then; an enqueue's notification ends the step at once).
  /// Default 1 s.
  std::chrono::milliseconds poll{1000};
  /// Whether the client subscribes to the queue's notifications itself (a connection of its
  /// own on Redis). False: whoever owns it listens on channel() (e.g. one subscription for
  /// many queues) and calls notify() for each message, and after a lost subscription.
  bool subscribe = true;
};

/// Lease-level calls for workers that run elsewhere (the HTTP workers of `redkit serve`), with
/// the C++ worker's guarantees and scripts: reserve leases jobs (attempts counted then), a
/// heartbeat renews a lease, ack, fail and release settle it, each checking the lease token,
/// so a caller whose lease was lost (it ended and the job went to another reserve) cannot
/// touch the job: that is reported as a value, not an error. Store failures raise
/// redkit::error; bad arguments errc::invalid_argument.
class lease_client {
 public:
  /// Subscribes to the queue's notifications unless options::subscribe is false (blocking:
  /// not from the store's I/O thread); if that fails, waiting reserves look at the queue every
  /// `poll` instead. Throws errc::invalid_argument for a bad name or option.
  lease_client(std::shared_ptr<store> s, std::string queue_name, lease_options o = {});
  ~lease_client();
  lease_client(const lease_client&) = delete;
  lease_client& operator=(const lease_client&) = delete;

  /// Leases up to `count` (1-1000) pending jobs for `lease` (30 ms to 24 h), all under one
  /// new token, promoting due delayed jobs and reclaiming expired leases first. With none
  /// pending and `wait` > 0, waits up to `wait` for one (an enqueue ends the wait at once);
  /// returns an empty vector when none came (or the queue is paused).
  asio::awaitable<std::vector<leased_job>> async_reserve(unsigned count,
                                                         std::chrono::milliseconds lease,
                                                         std::chrono::milliseconds wait);
  /// Renews the lease of `id` for `lease` from now; its new end, or nothing when it was lost.
  asio::awaitable<std::optional<clock::time_point>> async_heartbeat(
      std::string id, std::string token, std::chrono::milliseconds lease);
  /// Completes the run; false when the lease was lost.
  asio::awaitable<bool> async_ack(std::string id, std::string token);
  /// Fails the run with `error`: retried after `retry_delay` (default: by the backoff from the
  /// attempt), or dead after its last attempt.
  asio::awaitable<fail_outcome> async_fail(std::string id, std::string token, std::string error,
                                           std::optional<std::chrono::milliseconds> retry_delay);
  /// Gives the job back: pending again at once, this attempt not counted; false when the
  /// lease was lost.
  asio::awaitable<bool> async_release(std::string id, std::string token);

  /// The queue's notification channel (an enqueue publishes on it).
  const std::string& channel() const noexcept;
  /// Ends the waiting reserves' current step, so they look at the queue now: for a message on
  /// channel() when options::subscribe is false. Any thread.
  void notify();

  /// For shutdown: ends every waiting reserve now (each returns the jobs it has: none), and
  /// reserves from then on do not wait. Any thread; idempotent.
  void stop_waiting();

  /// Blocking twins (not from the store's own I/O thread).
  std::vector<leased_job> reserve(unsigned count, std::chrono::milliseconds lease,
                                  std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  std::optional<clock::time_point> heartbeat(std::string id, std::string token,
                                             std::chrono::milliseconds lease);
  bool ack(std::string id, std::string token);
  fail_outcome fail(std::string id, std::string token, std::string error,
                    std::optional<std::chrono::milliseconds> retry_delay = std::nullopt);
  bool release(std::string id, std::string token);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace redkit::queue

namespace redkit {
using job_queue = queue::queue;
using job_worker = queue::worker;
}  // namespace redkit
