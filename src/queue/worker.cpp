// Workers (see job_queue.hpp): one loop per worker that settles finished jobs and leases new
// ones in one script call (cycle.lua), a heartbeat that renews the leases of running jobs, and
// a wait between cycles that an enqueue's notification ends at once.
// Everything but stats() runs on the store's executor, one coroutine at a time, so the state
// below needs no lock.
#include "queue/queue_parts.hpp"

#include <fmt/core.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "blocking.hpp"

#include <atomic>
#include <cmath>
#include <deque>
#include <map>
#include <random>
#include <set>

namespace redkit::queue {

using namespace detail;
using namespace boost::asio::experimental::awaitable_operators;
using steady = std::chrono::steady_clock;

namespace {

/// A finished run, to settle in the next cycle.
struct settlement {
  std::string id;
  std::string token;
  bool completed = true;
  std::chrono::milliseconds retry_delay{0};
  std::string error;
};

}  // namespace

namespace detail {

std::chrono::milliseconds retry_delay(const backoff& b, std::uint32_t attempt) {
  if (b.fixed) return *b.fixed;
  const double exp = std::min(60.0, static_cast<double>(attempt) - 1);
  double ms = std::min(static_cast<double>(b.cap.count()),
                       static_cast<double>(b.base.count()) * std::pow(2.0, exp));
  if (b.jitter > 0) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> d(1 - b.jitter, 1 + b.jitter);
    ms *= d(rng);
  }
  return std::chrono::milliseconds(std::max<std::int64_t>(0, std::llround(ms)));
}

}  // namespace detail

struct worker::impl : std::enable_shared_from_this<impl> {
  impl(std::shared_ptr<store> s, std::string name, worker_options o)
      : store_(std::move(s)),
        opts_(std::move(o)),
        base_(base_of(opts_.queue, name)),
        cycle_(script::embedded("queue/cycle")),
        renew_(script::embedded("queue/renew")),
        wake_(store_ ? store_->get_executor() : asio::any_io_executor{}),
        second_(store_ ? store_->get_executor() : asio::any_io_executor{}),
        beat_(store_ ? store_->get_executor() : asio::any_io_executor{}) {
    if (!store_) throw invalid("no store");
    if (opts_.concurrency == 0) throw invalid("concurrency must be at least 1");
    if (opts_.lease.count() < 30) throw invalid("lease must be at least 30 ms");
    if (opts_.idle_check.count() <= 0) throw invalid("idle_check must be positive");
    if (opts_.job_timeout.count() < 0) throw invalid("job_timeout must not be negative");
    if (opts_.backoff.jitter < 0 || opts_.backoff.jitter >= 1) {
      throw invalid("backoff jitter must be in [0, 1)");
    }
  }

  struct running_job {
    std::string token;
    std::shared_ptr<asio::steady_timer> deadline;  // fires: the run is cancelled
  };

  // --- the loop ----------------------------------------------------------------------------

  asio::awaitable<void> loop() {
    auto self = shared_from_this();
    while (accepting_ || held_ > 0 || !settlements_.empty()) {
      const unsigned free = free_slots();
      if (free == 0 && settlements_.empty()) {
        co_await sleep(opts_.idle_check);  // a finishing run wakes us
        continue;
      }
      std::vector<settlement> batch;
      batch.swap(settlements_);
      std::int64_t next_in = -1;
      std::size_t leased = 0;
      bool failed = false;
      try {
        requested_ += free;
        primary_in_flight_ = true;
        wake_second();  // it may settle and lease meanwhile
        std::tie(next_in, leased) = co_await cycle(free, batch);
        primary_in_flight_ = false;
        requested_ -= free;
        wake_second();  // it sleeps while the main loop has no cycle out
        failures_ = 0;
      } catch (const std::exception&) {
        primary_in_flight_ = false;
        requested_ -= free;
        // The store failed: settlements are kept (settling twice is harmless: the second one
        // finds the job settled), and the loop backs off.
        settlements_.insert(settlements_.end(), std::make_move_iterator(batch.begin()),
                            std::make_move_iterator(batch.end()));
        ++failures_;
        failed = true;
      }
      if (failed) {
        co_await sleep(
            std::min(opts_.idle_check, std::chrono::milliseconds(50 << std::min(failures_, 4))));
        continue;
      }
      if (leased < free && settlements_.empty()) {
        // Nothing more to take: wait for a notification, a finishing run, the next due job
        // or lease, or idle_check.
        // (The store gives the wait, not the due time: the worker's clock may differ from the
        // store's.)
        auto wait = opts_.idle_check;
        if (next_in >= 0) {
          wait = std::min(wait, std::chrono::milliseconds(std::max<std::int64_t>(1, next_in)));
        }
        co_await sleep(wait);
      }
    }
    while (second_running_) {
      wake_second();  // it sees the main loop done and ends
      co_await sleep(std::chrono::milliseconds(1));
    }
    stopped_ = true;
    wake_.cancel();
    second_.cancel();
    beat_.cancel();  // the heartbeat ends now, not a lease / 3 later (it holds the store)
  }

  unsigned free_slots() const {
    const unsigned capacity = opts_.concurrency + opts_.prefetch;
    const unsigned used = held_ + requested_;
    return accepting_ && used < capacity ? capacity - used : 0;
  }

  /// A second cycle in flight while the main loop's is out: it settles what finished and
  /// leases what fits meanwhile, so one worker is not bound to one round trip at a time. It
  /// runs only while the main loop has a cycle out, so an idle worker still sends about one
  /// command per idle_check.
  asio::awaitable<void> second_loop() {
    auto self = shared_from_this();
    second_running_ = true;
    while (!stopped_ && (accepting_ || held_ > 0 || primary_in_flight_)) {
      const unsigned free = free_slots();
      if (!primary_in_flight_ || (free == 0 && settlements_.empty())) {
        second_.expires_after(std::chrono::seconds(1));
        co_await second_.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      std::vector<settlement> batch;
      batch.swap(settlements_);
      requested_ += free;
      try {
        co_await cycle(free, batch);
      } catch (const std::exception&) {
        settlements_.insert(settlements_.end(), std::make_move_iterator(batch.begin()),
                            std::make_move_iterator(batch.end()));
      }
      requested_ -= free;
    }
    second_running_ = false;
  }

  void wake_second() { second_.cancel(); }

  /// One cycle.lua call: settles `batch`, leases up to `n` jobs and starts them. Returns the
  /// time until the next due job or lease end (ms, -1: none) and how many jobs were leased.
  asio::awaitable<std::pair<std::int64_t, std::size_t>> cycle(unsigned n,
                                                              std::vector<settlement>& batch) {
    const auto token = random_id();
    auto args = cycle_args(opts_.queue, n, opts_.lease, token, batch.size());
    for (const auto& s : batch) {
      args.push_back(s.id);
      args.push_back(s.token);
      args.emplace_back(s.completed ? "c" : "f");
      args.push_back(number(s.retry_delay.count()));
      args.push_back(s.error);
    }
    std::vector<std::string> keys;
    keys.push_back(base_);
    const auto r = co_await store_->async_eval(cycle_, std::move(keys), std::move(args),
                                               request_options{opts_.queue.timeout});
    ++cycles_;
    const auto& e = array_of(r);
    if (e.size() < 2 || (e.size() - 2) % 3 != 0) throw unexpected("unexpected reply from cycle");
    const auto& settled = array_of(e[1]);
    if (settled.size() != batch.size()) throw unexpected("unexpected reply from cycle");
    for (std::size_t i = 0; i < settled.size(); ++i) {
      if (integer_of(settled[i]) == 0) {  // (2: failed and dead)
        ++lost_;
      } else if (batch[i].completed) {
        ++settled_;
      }
    }
    std::size_t leased = 0;
    for (std::size_t i = 2; i < e.size(); i += 3) {
      std::chrono::milliseconds own{0};
      auto j = leased_from_cycle(e, i, own);
      start_run(std::move(j), token, own.count() > 0 ? own : opts_.job_timeout);
      ++leased;
    }
    co_return std::pair{integer_of(e[0]), leased};
  }

  /// Takes a leased job: runs it now if a slot is free, else holds it until one is (its lease
  /// is renewed meanwhile, and a stop gives it back).
  void start_run(job j, const std::string& token, std::chrono::milliseconds timeout) {
    running_[j.id] = running_job{token, nullptr};
    ++held_;
    waiting_.push_back({std::move(j), token, timeout});
    launch_waiting();
  }

  void launch_waiting() {
    while (accepting_ && busy_ < opts_.concurrency && !waiting_.empty()) {
      auto w = std::move(waiting_.front());
      waiting_.pop_front();
      auto deadline = std::make_shared<asio::steady_timer>(store_->get_executor());
      deadline->expires_at(w.timeout.count() > 0 ? steady::now() + w.timeout
                                                 : steady::time_point::max());
      running_[w.j.id].deadline = deadline;
      ++busy_;
      asio::co_spawn(store_->get_executor(), run(std::move(w.j), w.token, std::move(deadline)),
                     asio::detached);
    }
  }

  asio::awaitable<void> run(job j, std::string token,
                            std::shared_ptr<asio::steady_timer> deadline) {
    auto self = shared_from_this();
    std::string error;
    const auto h = handlers_.find(j.type);
    if (h == handlers_.end()) {
      error = fmt::format("no handler for job type '{}'", j.type);
    } else {
      // (`||` waits for the first *success*: a throwing handler must not look like one that
      // never ends, so its exception becomes a value.)
      auto outcome = co_await (guarded(h->second, j) ||
                               deadline->async_wait(asio::as_tuple(asio::use_awaitable)));
      if (outcome.index() == 0) {
        error = std::move(std::get<0>(outcome));
      } else if (!released_.contains(j.id)) {
        error = "timed out";
      }
    }
    running_.erase(j.id);
    --busy_;
    --held_;
    if (released_.erase(j.id) == 0) {  // a released job is pending again: nothing to settle
      if (error.empty()) {
        ++completed_;
        auto& done = settlements_.emplace_back();
        done.id = j.id;
        done.token = token;
      } else {
        ++failed_;
        if (opts_.on_failure) opts_.on_failure(j, error);
        auto& failed = settlements_.emplace_back();
        failed.id = j.id;
        failed.token = token;
        failed.completed = false;
        failed.retry_delay = retry_delay(opts_.backoff, j.attempt);
        failed.error = std::move(error);
      }
    }
    launch_waiting();
    wake();
  }

  /// Runs the handler; returns its error ("" on success).
  static asio::awaitable<std::string> guarded(const handler& h, const job& j) {
    try {
      co_await h(j);
      co_return std::string();
    } catch (const std::exception& e) {
      co_return std::string(*e.what() ? e.what() : "handler failed");
    } catch (...) {
      co_return std::string("handler failed");
    }
  }

  /// Ends the loop's sleep, or the next one if the loop is not asleep (a cycle is in flight):
  /// a cancel alone would be lost then.
  void wake() {
    woken_ = true;
    wake_.cancel();
    second_.cancel();
  }

  /// Sleeps up to `d` unless wake() was called since the last sleep; wake() ends it early.
  asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    if (!woken_) {
      wake_.expires_after(d);
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    woken_ = false;
  }

  // --- heartbeat ---------------------------------------------------------------------------

  asio::awaitable<void> heartbeat() {
    auto self = shared_from_this();
    while (!stopped_) {
      beat_.expires_after(opts_.lease / 3);
      co_await beat_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (running_.empty()) continue;
      try {
        co_await lease_call("renew", snapshot());
      } catch (const std::exception&) {
        // The next beat tries again; a lease lost meanwhile shows when the run settles.
      }
    }
  }

  std::vector<std::pair<std::string, std::string>> snapshot() const {
    std::vector<std::pair<std::string, std::string>> jobs;
    for (const auto& [id, r] : running_) jobs.emplace_back(id, r.token);
    return jobs;
  }

  asio::awaitable<void> lease_call(std::string mode,
                                   std::vector<std::pair<std::string, std::string>> jobs) {
    std::vector<std::string> args{std::move(mode), number(opts_.lease.count())};
    for (auto& [id, token] : jobs) {
      args.push_back(id);
      args.push_back(token);
    }
    std::vector<std::string> keys;
    keys.push_back(base_);
    co_await store_->async_eval(renew_, std::move(keys), std::move(args),
                                request_options{opts_.queue.timeout});
  }

  // --- start and stop ----------------------------------------------------------------------

  void start() {
    if (started_.exchange(true)) throw invalid("worker already started");
    accepting_ = true;
    std::weak_ptr<impl> weak = shared_from_this();
    subscription_ = store_->subscribe({base_ + ":wake"}, {}, [weak](message) {
      if (auto self = weak.lock()) self->wake();
    });
    asio::co_spawn(store_->get_executor(), loop(), asio::detached);
    asio::co_spawn(store_->get_executor(), second_loop(), asio::detached);
    asio::co_spawn(store_->get_executor(), heartbeat(), asio::detached);
  }

  asio::awaitable<void> stop(std::chrono::milliseconds grace) {
    auto self = shared_from_this();
    if (!started_ || stopped_) co_return;
    accepting_ = false;
    wake();
    asio::steady_timer t(store_->get_executor());
    if (!waiting_.empty()) {
      // Jobs held for a slot never started: give them back at once.
      std::vector<std::pair<std::string, std::string>> jobs;
      for (auto& w : waiting_) {
        jobs.emplace_back(w.j.id, w.token);
        running_.erase(w.j.id);
      }
      held_ -= static_cast<unsigned>(waiting_.size());
      waiting_.clear();
      try {
        co_await lease_call("release", jobs);
      } catch (const std::exception&) {
        // Their leases will expire instead.
      }
    }
    const auto until = steady::now() + grace;
    while (busy_ > 0 && steady::now() < until) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!running_.empty()) {
      // Give the unfinished jobs back (pending again at once), then cancel their runs.
      auto jobs = snapshot();
      for (const auto& [id, token] : jobs) released_.insert(id);
      try {
        co_await lease_call("release", jobs);
      } catch (const std::exception&) {
        // Their leases will expire instead.
      }
      for (auto& [id, r] : running_) {
        if (r.deadline) r.deadline->cancel();
      }
    }
    while (!stopped_) {
      t.expires_after(std::chrono::milliseconds(5));
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (subscription_) subscription_->close();
  }

  const std::shared_ptr<store> store_;
  const worker_options opts_;
  const std::string base_;
  const script& cycle_;
  const script& renew_;
  std::map<std::string, handler, std::less<>> handlers_;
  asio::steady_timer wake_;
  bool woken_ = false;         // wake() called since the loop's last sleep
  asio::steady_timer second_;  // the second loop's sleep
  unsigned requested_ = 0;     // slots asked for by cycles in flight
  bool primary_in_flight_ = false;
  bool second_running_ = false;
  asio::steady_timer beat_;
  std::shared_ptr<subscription> subscription_;
  std::atomic<bool> started_{false};
  bool accepting_ = false;
  bool stopped_ = false;
  unsigned busy_ = 0;  // runs in progress
  unsigned held_ = 0;  // leased jobs: running or waiting for a slot
  struct waiting_job {
    job j;
    std::string token;
    std::chrono::milliseconds timeout;
  };
  std::deque<waiting_job> waiting_;
  int failures_ = 0;
  std::map<std::string, running_job> running_;
  std::set<std::string> released_;
  std::vector<settlement> settlements_;
  std::atomic<std::uint64_t> completed_{0}, settled_{0}, failed_{0}, lost_{0}, cycles_{0};
};

worker::worker(std::shared_ptr<store> s, std::string queue_name, worker_options o)
    : impl_(std::make_shared<impl>(std::move(s), std::move(queue_name), std::move(o))) {}

worker::~worker() {
  if (impl_->started_ && !impl_->stopped_) {
    try {
      stop(std::chrono::milliseconds(0));
    } catch (...) {
    }
  }
}

void worker::on(std::string type, handler h) {
  if (impl_->started_) throw invalid("register handlers before start()");
  impl_->handlers_[std::move(type)] = std::move(h);
}

void worker::start() { impl_->start(); }

asio::awaitable<void> worker::async_stop(std::chrono::milliseconds grace) {
  return impl_->stop(grace);
}

void worker::stop(std::chrono::milliseconds grace) {
  redkit::detail::run_blocking<void>(*impl_->store_, "queue", "stop",
                                     [&] { return impl_->stop(grace); });
}

worker::counters worker::stats() const {
  return counters{.completed = impl_->completed_,
                  .settled = impl_->settled_,
                  .failed = impl_->failed_,
                  .lost = impl_->lost_,
                  .cycles = impl_->cycles_};
}

}  // namespace redkit::queue
