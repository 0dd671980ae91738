// The job queue on every backend: priorities with FIFO ties, delays, retries with backoff (exact
// due times on the engine's frozen clock), the dead set (listing, retry, delete, cap),
// deduplication by id, a bulk enqueue run exactly once, pause/resume, a graceful stop that gives
// unfinished jobs back, lease renewal, lease expiry with fencing of a worker that lost its lease,
// job timeouts, a type without a handler, workers that wait for work without polling (and are
// woken by an enqueue), and jobs of a crashed worker re-delivered after their lease.
//
// A crashed or hung worker is simulated by calling queue/cycle.lua directly with a lease token
// ("zombie"): it leases jobs exactly as a worker does and then never renews or settles them (on
// Redis from its own connection, closed afterwards, as a killed process's would be). There is no
// queue worker in the CLI yet to run in a child process and kill.
#include "support/backends.hpp"
#include "support/store_helpers.hpp"

#include <redkit/engine.hpp>
#include <redkit/job_queue.hpp>
#include <redkit/script.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
using queue::job;
using queue::job_options;
using queue::job_spec;
using queue::job_state;
using queue::worker_options;
using steady = std::chrono::steady_clock;
using sys_clock = std::chrono::system_clock;

std::int64_t ms_of(sys_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// Waits `d` on the running job's executor; a cancelled run ends it with operation_aborted.
asio::awaitable<void> wait_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

/// What handlers saw, written on the store's thread and read by the test's.
struct journal {
  void add(std::string s) {
    std::lock_guard lock(mu);
    seen.push_back(std::move(s));
  }
  std::vector<std::string> get() {
    std::lock_guard lock(mu);
    return seen;
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    return seen.size();
  }
  std::mutex mu;
  std::vector<std::string> seen;
};

class JobQueue : public backend_test {
 protected:
  bool on_engine() { return store_->engine() != nullptr; }

  /// A worker that looks again soon (the engine's clock moves while workers sleep on the
  /// steady clock), retries at once and fails runs of one job at a time unless told otherwise.
  static worker_options quick(unsigned concurrency = 1) {
    worker_options o;
    o.concurrency = concurrency;
    o.idle_check = 20ms;
    o.backoff.fixed = 0ms;
    return o;
  }

  /// Polls `done` every 3 ms for up to `limit`.
  template <typename Done>
  static bool eventually(Done done, std::chrono::milliseconds limit = 5s) {
    const auto until = steady::now() + limit;
    for (;;) {
      if (done()) return true;
      if (steady::now() >= until) return false;
      std::this_thread::sleep_for(3ms);
    }
  }

  /// cycle.lua as a worker calls it: leases up to `n` jobs under `token` for `lease` and
  /// settles `settlements` (id, outcome 'c' or 'f'), all with that token.
  resp::reply cycle(store& s, const std::string& base, int n, std::chrono::milliseconds lease,
                    const std::string& token,
                    std::vector<std::pair<std::string, std::string>> settlements = {}) {
    std::vector<std::string> args{std::to_string(n),
                                  std::to_string(lease.count()),
                                  token,
                                  "0",
                                  "0",
                                  "0",
                                  std::to_string(settlements.size())};
    for (auto& [id, outcome] : settlements) {
      args.push_back(id);
      args.push_back(token);
      args.push_back(outcome);
      args.emplace_back("0");
      args.emplace_back("zombie failed");
    }
    return s.eval(script::embedded("queue/cycle"), {base}, std::move(args));
  }

  /// The settled flags of a cycle.lua reply.
  static std::vector<std::int64_t> settled_flags(const resp::reply& r) {
    std::vector<std::int64_t> out;
    if (r.elements.size() < 2) return out;
    for (const auto& f : r.elements[1].elements) out.push_back(f.integer);
    return out;
  }

  /// The score of `id` in the sorted set `key` (ms), or -1.
  std::int64_t score(const std::string& key, const std::string& id) {
    const auto r = store_->exec(command{"ZSCORE", key, id});
    if (r.type == resp::type::double_) return static_cast<std::int64_t>(r.number);
    if (r.is_string()) return std::stoll(r.string);
    return -1;
  }

  /// `cmdstat_<name>` calls in INFO commandstats (Redis).
  std::int64_t calls_of(const std::string& name) {
    const auto info = store_->exec(command{"INFO", "commandstats"}).string;
    const auto at = info.find("cmdstat_" + name + ":calls=");
    if (at == std::string::npos) return 0;
    return std::stoll(info.substr(at + name.size() + 15));
  }
};

// ---------------------------------------------------------------------------------------------
// Order, delays, retries, the dead set.

TEST_P(JobQueue, LowerPriorityRunsFirstWithFifoTies) {
  queue::queue q(store_, "jobs");
  const std::vector<std::uint32_t> priorities{5, 1, 5, 0, 1};
  for (std::size_t i = 0; i < priorities.size(); ++i) {
    job_options o;
    o.priority = priorities[i];
    const auto e = q.enqueue("t", "j" + std::to_string(i), o);
    EXPECT_TRUE(e.created);
    EXPECT_EQ(e.state, job_state::pending);
  }
  EXPECT_EQ(q.stats().pending, 5u);

  journal order;
  queue::worker w(store_, "jobs", quick(1));
  w.on("t", [&](const job& j) -> asio::awaitable<void> {
    order.add(j.payload);
    co_return;
  });
  w.start();
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 5; }));
  w.stop();
  EXPECT_EQ(order.get(), (std::vector<std::string>{"j3", "j1", "j4", "j0", "j2"}));
  const auto s = q.stats();
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(s.active, 0u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(w.stats().completed, 5u);
}

TEST_P(JobQueue, DelayedJobRunsOnlyWhenDue) {
  if (auto* e = store_->engine()) e->set_time(sys_clock::now());  // frozen
  const auto delay = on_engine() ? 60000ms : 150ms;
  queue::queue q(store_, "jobs");
  const auto t0 = sys_clock::now();
  job_options o;
  o.delay = delay;
  o.id = "later";
  const auto e = q.enqueue("t", "x", o);
  EXPECT_TRUE(e.created);
  EXPECT_EQ(e.state, job_state::delayed);
  ASSERT_TRUE(q.status("later").has_value());
  EXPECT_EQ(q.status("later")->state, job_state::delayed);

  std::atomic<std::int64_t> started_ms{0};
  queue::worker w(store_, "jobs", quick(1));
  w.on("t", [&](const job&) -> asio::awaitable<void> {
    started_ms = ms_of(sys_clock::now());
    co_return;
  });
  w.start();
  std::this_thread::sleep_for(60ms);  // three idle checks
  EXPECT_EQ(started_ms.load(), 0);
  auto s = q.stats();
  EXPECT_EQ(s.delayed, 1u);
  EXPECT_EQ(s.pending, 0u);
  if (auto* en = store_->engine()) {
    en->advance(delay - 1ms);
    std::this_thread::sleep_for(60ms);
    EXPECT_EQ(started_ms.load(), 0) << "ran 1 ms early";
    en->advance(1ms);
  }
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }));
  if (!on_engine()) EXPECT_GE(started_ms.load(), ms_of(t0 + delay) - 1);
  s = q.stats();
  EXPECT_EQ(s.delayed, 0u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_FALSE(q.status("later").has_value());  // completed jobs are not kept by default
}

// run_at is a time on the store's clock: the job is due exactly then (a past time: at once).
TEST_P(JobQueue, RunAtIsATimeOnTheStoresClock) {
  queue::queue q(store_, "jobs");
  const auto now = store_->engine() ? store_->engine()->now() : sys_clock::now();
  if (auto* e = store_->engine()) e->set_time(now);  // frozen
  job_options at;
  at.id = "at";
  at.run_at = now + 5000ms;
  at.delay = 1ms;  // run_at wins
  EXPECT_EQ(q.enqueue("t", "x", at).state, job_state::delayed);
  EXPECT_EQ(score(q.base() + ":delayed", "at"), ms_of(now + 5000ms));
  job_options past;
  past.id = "past";
  past.run_at = now - 1000ms;
  EXPECT_EQ(q.enqueue("t", "x", past).state, job_state::pending);
}

TEST_P(JobQueue, FailingRunsAreRetriedThenTheJobCompletes) {
  queue::queue q(store_, "jobs");
  auto o = quick(1);
  o.backoff.fixed = 10ms;
  o.queue.keep_completed = 10;
  journal failures;
  o.on_failure = [&](const job& j, std::string_view error) {
    failures.add(j.id + ": " + std::string(error));
  };
  journal attempts;
  queue::worker w(store_, "jobs", o);
  w.on("t", [&](const job& j) -> asio::awaitable<void> {
    attempts.add(std::to_string(j.attempt) + "/" + std::to_string(j.max_attempts));
    if (j.attempt < 3) throw std::runtime_error("boom " + std::to_string(j.attempt));
    co_return;
  });
  job_options jo;
  jo.max_attempts = 3;
  jo.id = "r1";
  q.enqueue("t", "x", jo);
  w.start();
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }));
  w.stop();
  EXPECT_EQ(attempts.get(), (std::vector<std::string>{"1/3", "2/3", "3/3"}));
  EXPECT_EQ(failures.get(), (std::vector<std::string>{"r1: boom 1", "r1: boom 2"}));
  const auto s = q.stats();
  EXPECT_EQ(s.completed, 1u);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.pending + s.delayed + s.active + s.dead, 0u);
  const auto st = q.status("r1");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, job_state::completed);
  EXPECT_EQ(st->type, "t");
  EXPECT_EQ(st->attempts, 3u);
  EXPECT_EQ(st->max_attempts, 3u);
  EXPECT_EQ(st->last_error, "boom 2");  // the last failure, kept after the success
  const auto c = w.stats();
  EXPECT_EQ(c.completed, 1u);
  EXPECT_EQ(c.failed, 2u);
  EXPECT_EQ(c.lost, 0u);
}

TEST_P(JobQueue, DeadJobsAreListedRetriedAndDeleted) {
  queue::queue q(store_, "jobs");
  std::atomic<bool> fail{true};
  journal runs;
  const auto handler = [&](const job& j) -> asio::awaitable<void> {
    runs.add(j.id + "#" + std::to_string(j.attempt));
    if (fail) throw std::runtime_error("always " + j.payload);
    co_return;
  };
  job_options jo;
  jo.max_attempts = 2;
  jo.id = "doomed";
  const auto t0 = sys_clock::now() - 1s;
  q.enqueue("t", "{\"n\":1}", jo);
  {
    queue::worker w(store_, "jobs", quick(1));
    w.on("t", handler);
    w.start();
    ASSERT_TRUE(eventually([&] { return q.stats().dead == 1; }));
    w.stop();
  }
  EXPECT_EQ(runs.get(), (std::vector<std::string>{"doomed#1", "doomed#2"}));
  auto s = q.stats();
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.completed, 0u);
  EXPECT_EQ(s.pending + s.delayed + s.active, 0u);
  auto dead = q.dead();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, "doomed");
  EXPECT_EQ(dead[0].type, "t");
  EXPECT_EQ(dead[0].payload, "{\"n\":1}");
  EXPECT_EQ(dead[0].attempts, 2u);
  EXPECT_EQ(dead[0].max_attempts, 2u);
  EXPECT_EQ(dead[0].last_error, "always {\"n\":1}");
  EXPECT_LE(dead[0].created, dead[0].died);
  if (!on_engine()) EXPECT_GE(dead[0].created, t0);
  auto st = q.status("doomed");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, job_state::dead);
  EXPECT_EQ(st->attempts, 2u);

  // Retry: pending again with its attempts reset, then it runs from attempt 1.
  EXPECT_EQ(q.retry_dead({"doomed"}), 1u);
  EXPECT_EQ(q.retry_dead({"doomed"}), 0u);  // no longer dead
  st = q.status("doomed");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, job_state::pending);
  EXPECT_EQ(st->attempts, 0u);
  EXPECT_EQ(st->last_error, "");
  s = q.stats();
  EXPECT_EQ(s.dead, 0u);
  EXPECT_EQ(s.pending, 1u);
  fail = false;
  {
    queue::worker w(store_, "jobs", quick(1));
    w.on("t", handler);
    w.start();
    ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }));
    w.stop();
  }
  EXPECT_EQ(runs.get(), (std::vector<std::string>{"doomed#1", "doomed#2", "doomed#1"}));

  // Delete by id and all.
  fail = true;
  for (const auto* id : {"x1", "x2", "x3"}) {
    job_options once;
    once.max_attempts = 1;
    once.id = id;
    q.enqueue("t", id, once);
  }
  {
    queue::worker w(store_, "jobs", quick(1));
    w.on("t", handler);
    w.start();
    ASSERT_TRUE(eventually([&] { return q.stats().dead == 3; }));
    w.stop();
  }
  EXPECT_EQ(q.delete_dead({"x2", "nope"}), 1u);
  dead = q.dead();
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].id, "x1");
  EXPECT_EQ(dead[1].id, "x3");
  EXPECT_EQ(q.dead(1, 5).size(), 1u);
  EXPECT_FALSE(q.status("x2").has_value());
  EXPECT_EQ(q.delete_dead(), 2u);
  EXPECT_TRUE(q.dead().empty());
  EXPECT_FALSE(q.status("x1").has_value());
  s = q.stats();
  EXPECT_EQ(s.dead, 0u);
  EXPECT_EQ(s.failed, 5u);
  EXPECT_EQ(s.completed, 1u);
}

TEST_P(JobQueue, DeadSetCapKeepsTheNewest) {
  queue::queue q(store_, "jobs");
  for (int i = 1; i <= 5; ++i) {
    job_options o;
    o.max_attempts = 1;
    o.id = "d" + std::to_string(i);
    q.enqueue("t", "x", o);
  }
  auto o = quick(1);
  o.queue.dead_cap = 3;
  queue::worker w(store_, "jobs", o);
  w.on("t", [](const job&) -> asio::awaitable<void> {
    throw std::runtime_error("no");
    co_return;
  });
  w.start();
  ASSERT_TRUE(eventually([&] { return q.stats().failed == 5; }));
  w.stop();
  const auto dead = q.dead();
  std::vector<std::string> ids;
  for (const auto& d : dead) ids.push_back(d.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"d3", "d4", "d5"}));
  EXPECT_FALSE(q.status("d1").has_value());  // dropped with its data
  EXPECT_FALSE(q.status("d2").has_value());
  ASSERT_TRUE(q.status("d3").has_value());
  EXPECT_EQ(q.status("d3")->state, job_state::dead);
  EXPECT_EQ(q.stats().dead, 3u);
}

TEST_P(JobQueue, BackoffDelaysDoubleFromTheFailure) {
  // Engine: exact due times on a frozen clock. Redis: the due time lies within the window in
  // which the failure was settled.
  const auto t = sys_clock::time_point(std::chrono::minutes(29'000'000));
  if (auto* e = store_->engine()) e->set_time(t);
  const auto base = on_engine() ? 1000ms : 100ms;
  queue::queue q(store_, "jobs");
  auto o = quick(1);
  o.backoff = queue::backoff{};
  o.backoff.base = base;
  o.backoff.jitter = 0;
  std::atomic<std::int64_t> started_ms{0};
  journal attempts;
  queue::worker w(store_, "jobs", o);
  w.on("t", [&](const job& j) -> asio::awaitable<void> {
    started_ms = ms_of(sys_clock::now());
    attempts.add(std::to_string(j.attempt));
    throw std::runtime_error("fail " + std::to_string(j.attempt));
    co_return;
  });
  job_options jo;
  jo.id = "b";
  jo.max_attempts = 3;
  q.enqueue("t", "x", jo);
  w.start();
  const auto delayed_key = q.base() + ":delayed";

  for (std::uint64_t failure = 1; failure <= 2; ++failure) {
    ASSERT_TRUE(eventually([&] { return q.stats().failed == failure; })) << failure;
    const auto after = ms_of(sys_clock::now());
    const auto wait = base * (1 << (failure - 1));
    const auto due = score(delayed_key, "b");
    if (on_engine()) {
      EXPECT_EQ(due, ms_of(store_->engine()->now()) + wait.count()) << failure;
    } else {
      EXPECT_GE(due, started_ms.load() + wait.count()) << failure;
      EXPECT_LE(due, after + wait.count()) << failure;
    }
    const auto st = q.status("b");
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->state, job_state::failed);  // waiting for its retry
    EXPECT_EQ(st->attempts, failure);
    EXPECT_EQ(st->last_error, "fail " + std::to_string(failure));
    if (auto* e = store_->engine()) {
      e->advance(wait - 1ms);
      std::this_thread::sleep_for(60ms);
      EXPECT_EQ(attempts.size(), failure) << "retried before its due time";
      e->advance(1ms);
    }
  }
  ASSERT_TRUE(eventually([&] { return q.stats().dead == 1; }));
  w.stop();
  EXPECT_EQ(attempts.get(), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(score(delayed_key, "b"), -1);
  if (auto* e = store_->engine()) EXPECT_EQ(e->now(), t + 3 * base);
}

// ---------------------------------------------------------------------------------------------
// Ids, bulk, pause.

TEST_P(JobQueue, AnIdThatIsQueuedIsNotEnqueuedTwice) {
  queue::queue q(store_, "jobs");
  job_options o;
  o.id = "same";
  auto e = q.enqueue("first", "p1", o);
  EXPECT_EQ(e.id, "same");
  EXPECT_TRUE(e.created);
  EXPECT_EQ(e.state, job_state::pending);
  e = q.enqueue("second", "p2", o);
  EXPECT_EQ(e.id, "same");
  EXPECT_FALSE(e.created);
  EXPECT_EQ(e.state, job_state::pending);
  EXPECT_EQ(q.stats().pending, 1u);
  ASSERT_TRUE(q.status("same").has_value());
  EXPECT_EQ(q.status("same")->type, "first");

  job_options later;
  later.id = "later";
  later.delay = 60s;
  EXPECT_TRUE(q.enqueue("first", "d", later).created);
  e = q.enqueue("first", "d", later);
  EXPECT_FALSE(e.created);
  EXPECT_EQ(e.state, job_state::delayed);
  EXPECT_EQ(q.stats().delayed, 1u);

  journal runs;
  queue::worker w(store_, "jobs", quick(1));
  w.on("first", [&](const job& j) -> asio::awaitable<void> {
    runs.add(j.payload);
    co_return;
  });
  w.start();
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }));
  EXPECT_EQ(runs.get(), (std::vector<std::string>{"p1"}));
  // Finished: the id is free again.
  e = q.enqueue("first", "p3", o);
  EXPECT_TRUE(e.created);
  EXPECT_EQ(e.state, job_state::pending);
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 2; }));
  w.stop();
  EXPECT_EQ(runs.get(), (std::vector<std::string>{"p1", "p3"}));
  EXPECT_EQ(q.stats().delayed, 1u);
}

TEST_P(JobQueue, BulkEnqueueRunsEveryJobExactlyOnce) {
  queue::queue q(store_, "jobs");
  std::vector<job_spec> specs;
  for (int i = 0; i < 500; ++i) specs.push_back(job_spec{"t", std::to_string(i), {}});
  const auto out = q.enqueue_bulk(std::move(specs));
  ASSERT_EQ(out.size(), 500u);
  std::set<std::string> ids;
  for (const auto& e : out) {
    EXPECT_TRUE(e.created);
    EXPECT_EQ(e.state, job_state::pending);
    ids.insert(e.id);
  }
  EXPECT_EQ(ids.size(), 500u);
  EXPECT_EQ(q.stats().pending, 500u);

  std::vector<std::atomic<int>> runs(500);
  queue::worker w(store_, "jobs", worker_options{});
  w.on("t", [&](const job& j) -> asio::awaitable<void> {
    ++runs.at(std::stoul(j.payload));
    co_return;
  });
  w.start();
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 500; }, 10s));
  w.stop();
  for (int i = 0; i < 500; ++i) EXPECT_EQ(runs[i].load(), 1) << i;
  const auto s = q.stats();
  EXPECT_EQ(s.completed, 500u);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(s.active, 0u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(w.stats().completed, 500u);
}

TEST_P(JobQueue, PausedQueueStartsNothingUntilResumed) {
  queue::queue q(store_, "jobs");
  q.pause();
  EXPECT_TRUE(q.stats().paused);
  for (int i = 0; i < 3; ++i) q.enqueue("t", std::to_string(i));
  journal runs;
  auto o = quick(4);
  o.idle_check = 5s;  // resume must wake the worker
  queue::worker w(store_, "jobs", o);
  w.on("t", [&](const job& j) -> asio::awaitable<void> {
    runs.add(j.payload);
    co_return;
  });
  w.start();
  ASSERT_TRUE(eventually([&] { return w.stats().cycles >= 1; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(runs.size(), 0u);
  auto s = q.stats();
  EXPECT_TRUE(s.paused);
  EXPECT_EQ(s.pending, 3u);
  EXPECT_EQ(s.active, 0u);
  const auto resumed = steady::now();
  q.resume();
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 3; }));
  EXPECT_LT(steady::now() - resumed, 1s);
  w.stop();
  s = q.stats();
  EXPECT_FALSE(s.paused);
  EXPECT_EQ(s.pending, 0u);
  EXPECT_EQ(runs.get(), (std::vector<std::string>{"0", "1", "2"}));
}

// ---------------------------------------------------------------------------------------------
// Stopping, leases, timeouts.

TEST_P(JobQueue, GracefulStopGivesUnfinishedJobsBack) {
  queue::queue q(store_, "jobs");
  job_options jo;
  jo.id = "long";
  q.enqueue("t", "x", jo);
  std::atomic<int> started{0}, cancelled{0};
  {
    queue::worker w(store_, "jobs", quick(1));
    w.on("t", [&](const job&) -> asio::awaitable<void> {
      ++started;
      try {
        co_await wait_for(10s);
      } catch (const boost::system::system_error&) {
        ++cancelled;
        throw;
      }
    });
    w.start();
    ASSERT_TRUE(eventually([&] { return started == 1; }));
    auto st = q.status("long");
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->state, job_state::active);
    EXPECT_EQ(st->attempts, 1u);
    const auto t0 = steady::now();
    w.stop(50ms);
    const auto took = steady::now() - t0;
    EXPECT_GE(took, 50ms);
    EXPECT_LT(took, 1s);
    EXPECT_EQ(cancelled.load(), 1);
    const auto c = w.stats();
    EXPECT_EQ(c.completed, 0u);
    EXPECT_EQ(c.failed, 0u);
  }
  auto st = q.status("long");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, job_state::pending);
  EXPECT_EQ(st->attempts, 0u);
  EXPECT_EQ(st->last_error, "");
  auto s = q.stats();
  EXPECT_EQ(s.pending, 1u);
  EXPECT_EQ(s.active, 0u);
  EXPECT_EQ(s.failed, 0u);

  std::atomic<std::uint32_t> attempt{0};
  queue::worker w2(store_, "jobs", quick(1));
  w2.on("t", [&](const job& j) -> asio::awaitable<void> {
    attempt = j.attempt;
    co_return;
  });
  w2.start();
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }));
  w2.stop();
  EXPECT_EQ(attempt.load(), 1u);
  s = q.stats();
  EXPECT_EQ(s.pending + s.active + s.delayed + s.dead, 0u);
}

TEST_P(JobQueue, HeartbeatKeepsALongRunLeased) {
  // A 150 ms lease renewed every 50 ms outlives a 400 ms run; a second worker looking every
  // 20 ms would take the job the moment its lease ended.
  queue::queue q(store_, "jobs");
  auto o = quick(1);
  o.lease = 150ms;
  o.queue.keep_completed = 10;
  std::atomic<int> runs{0};
  const auto handler = [&](const job&) -> asio::awaitable<void> {
    ++runs;
    co_await wait_for(400ms);
  };
  queue::worker a(store_, "jobs", o);
  a.on("t", handler);
  a.start();
  job_options jo;
  jo.id = "slow";
  q.enqueue("t", "x", jo);
  ASSERT_TRUE(eventually([&] { return runs == 1; }));
  queue::worker b(store_, "jobs", o);
  b.on("t", handler);
  b.start();
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }));
  a.stop();
  b.stop();
  EXPECT_EQ(runs.load(), 1);
  const auto st = q.status("slow");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->attempts, 1u);
  EXPECT_EQ(a.stats().completed, 1u);
  EXPECT_EQ(a.stats().lost, 0u);
  EXPECT_EQ(b.stats().completed, 0u);
}

TEST_P(JobQueue, ExpiredLeaseGoesToAnotherWorkerAndFencesTheOldOne) {
  queue::queue q(store_, "jobs");
  job_options jo;
  jo.id = "z";
  q.enqueue("t", "payload", jo);

  // The zombie leases the job (attempt 1) and never renews it.
  const auto leased = cycle(*store_, q.base(), 1, 200ms, "zombie");
  ASSERT_EQ(leased.elements.size(), 5u) << to_display(leased);
  EXPECT_EQ(leased.elements[2].string, "z");
  // priority|max_attempts|timeout|created|type length|type payload
  EXPECT_TRUE(leased.elements[3].string.starts_with("0|3|0|")) << leased.elements[3].string;
  EXPECT_TRUE(leased.elements[3].string.ends_with("|1|tpayload")) << leased.elements[3].string;
  EXPECT_EQ(leased.elements[4].integer, 1);
  ASSERT_TRUE(q.status("z").has_value());
  EXPECT_EQ(q.status("z")->state, job_state::active);
  advance(201ms);

  std::atomic<std::uint32_t> attempt{0};
  std::atomic<bool> finish{false};
  queue::worker b(store_, "jobs", quick(1));
  b.on("t", [&](const job& j) -> asio::awaitable<void> {
    attempt = j.attempt;
    while (!finish) co_await wait_for(2ms);
  });
  b.start();
  ASSERT_TRUE(eventually([&] { return attempt != 0; }));
  EXPECT_EQ(attempt.load(), 2u);

  // While B runs it, the zombie can neither renew nor settle it.
  const auto renewed =
      store_->eval(script::embedded("queue/renew"), {q.base()}, {"renew", "60000", "z", "zombie"});
  ASSERT_EQ(renewed.elements.size(), 1u) << to_display(renewed);
  EXPECT_EQ(renewed.elements[0].integer, 0);
  EXPECT_EQ(settled_flags(cycle(*store_, q.base(), 0, 200ms, "zombie", {{"z", "f"}})),
            (std::vector<std::int64_t>{0}));
  auto st = q.status("z");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, job_state::active);
  EXPECT_EQ(st->attempts, 2u);
  EXPECT_EQ(st->last_error, "");
  auto s = q.stats();
  EXPECT_EQ(s.active, 1u);
  EXPECT_EQ(s.failed, 0u);

  finish = true;
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }));
  // Nor after B completed it.
  EXPECT_EQ(settled_flags(cycle(*store_, q.base(), 0, 200ms, "zombie", {{"z", "c"}})),
            (std::vector<std::int64_t>{0}));
  b.stop();
  s = q.stats();
  EXPECT_EQ(s.completed, 1u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.pending + s.active + s.delayed + s.dead, 0u);
  EXPECT_EQ(b.stats().completed, 1u);
  EXPECT_EQ(b.stats().lost, 0u);
}

TEST_P(JobQueue, CrashedWorkersJobsAreRedeliveredAfterTheirLease) {
  // The crashed worker leased two jobs (one on its last attempt) and vanished: on Redis its
  // connection is closed, as a killed process's is. The live worker looks only every 5 s on
  // Redis, so it must wake at the lease's end by itself.
  queue::queue q(store_, "jobs");
  job_options jo;
  jo.id = "a";
  q.enqueue("t", "x", jo);
  jo.id = "last";
  jo.max_attempts = 1;
  q.enqueue("t", "x", jo);
  {
    auto crashed = open_store();
    const auto leased = cycle(*crashed, q.base(), 2, 150ms, "crashed");
    ASSERT_EQ(leased.elements.size(), 8u) << to_display(leased);
    if (!on_engine()) crashed->close();
  }
  EXPECT_EQ(q.stats().active, 2u);

  journal runs;
  auto o = quick(4);
  if (!on_engine()) o.idle_check = 5s;
  queue::worker w(store_, "jobs", o);
  w.on("t", [&](const job& j) -> asio::awaitable<void> {
    runs.add(j.id + "#" + std::to_string(j.attempt));
    co_return;
  });
  const auto t0 = steady::now();
  w.start();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runs.size(), 0u) << "taken before the lease ended";
  if (auto* e = store_->engine()) e->advance(150ms);
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 1 && q.stats().dead == 1; }));
  EXPECT_LT(steady::now() - t0, 1s);
  w.stop();
  EXPECT_EQ(runs.get(), (std::vector<std::string>{"a#2"}));
  const auto dead = q.dead();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, "last");
  EXPECT_EQ(dead[0].attempts, 1u);
  EXPECT_EQ(dead[0].last_error, "lease expired (worker lost) after the last attempt");
  const auto s = q.stats();
  EXPECT_EQ(s.pending + s.active + s.delayed, 0u);
}

TEST_P(JobQueue, JobTimeoutCancelsAndFailsTheRun) {
  queue::queue q(store_, "jobs");
  std::atomic<int> cancelled{0};
  journal done;
  auto o = quick(4);
  o.job_timeout = 50ms;  // for jobs without their own
  queue::worker w(store_, "jobs", o);
  w.on("sleepy", [&](const job&) -> asio::awaitable<void> {
    try {
      co_await wait_for(10s);
    } catch (const boost::system::system_error&) {
      ++cancelled;
      throw;
    }
  });
  w.on("medium", [&](const job& j) -> asio::awaitable<void> {
    co_await wait_for(100ms);
    done.add(j.id);
  });
  job_options own;
  own.id = "own";
  own.max_attempts = 2;
  own.timeout = 50ms;
  q.enqueue("sleepy", "x", own);
  job_options dflt;
  dflt.id = "default";
  dflt.max_attempts = 1;
  q.enqueue("sleepy", "x", dflt);
  job_options longer;  // its own timeout wins over the worker's 50 ms
  longer.id = "longer";
  longer.timeout = 1s;
  q.enqueue("medium", "x", longer);
  const auto t0 = steady::now();
  w.start();
  ASSERT_TRUE(eventually([&] { return q.stats().dead == 2 && q.stats().completed == 1; }));
  EXPECT_LT(steady::now() - t0, 2s);
  w.stop();
  EXPECT_EQ(cancelled.load(), 3);
  EXPECT_EQ(done.get(), (std::vector<std::string>{"longer"}));
  auto dead = q.dead();
  std::sort(dead.begin(), dead.end(), [](const auto& x, const auto& y) { return x.id < y.id; });
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_EQ(dead[0].id, "default");
  EXPECT_EQ(dead[0].attempts, 1u);
  EXPECT_EQ(dead[0].last_error, "timed out");
  EXPECT_EQ(dead[1].id, "own");
  EXPECT_EQ(dead[1].attempts, 2u);
  EXPECT_EQ(dead[1].last_error, "timed out");
  EXPECT_EQ(q.stats().failed, 3u);
  EXPECT_EQ(w.stats().failed, 3u);
}

TEST_P(JobQueue, AJobWithoutAHandlerFails) {
  queue::queue q(store_, "jobs");
  journal failures;
  auto o = quick(1);
  o.on_failure = [&](const job& j, std::string_view error) {
    failures.add(j.type + ": " + std::string(error));
  };
  queue::worker w(store_, "jobs", o);
  w.on("known", [](const job&) -> asio::awaitable<void> { co_return; });
  job_options jo;
  jo.id = "m";
  jo.max_attempts = 1;
  q.enqueue("mystery", "x", jo);
  w.start();
  ASSERT_TRUE(eventually([&] { return q.stats().dead == 1; }));
  w.stop();
  EXPECT_EQ(failures.get(),
            (std::vector<std::string>{"mystery: no handler for job type 'mystery'"}));
  const auto dead = q.dead();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].last_error, "no handler for job type 'mystery'");
  EXPECT_EQ(q.stats().failed, 1u);
}

// ---------------------------------------------------------------------------------------------
// Waiting for work.

TEST_P(JobQueue, IdleWorkersDoNotPoll) {
  // Three idle workers looking every 200 ms for 600 ms: about 3 × (1 + 600 / 200) = 12 cycles
  // (at most 15 with slack; a worker polling every 20 ms would make 90), and no heartbeats (a
  // 90 ms lease would beat every 30 ms). On Redis the server's own command count agrees.
  queue::queue q(store_, "jobs");
  if (server()) {
    cycle(*store_, q.base(), 0, 1000ms, "preload");  // SCRIPT LOAD outside the count
    store_->exec(command{"CONFIG", "RESETSTAT"});
  }
  auto o = quick(1);
  o.idle_check = 200ms;
  o.lease = 90ms;
  std::vector<std::unique_ptr<queue::worker>> ws;
  for (int i = 0; i < 3; ++i) {
    ws.push_back(std::make_unique<queue::worker>(store_, "jobs", o));
    ws.back()->start();
  }
  std::this_thread::sleep_for(600ms);
  std::uint64_t cycles = 0;
  for (auto& w : ws) cycles += w->stats().cycles;
  const auto evals = server() ? calls_of("evalsha") : 0;
  for (auto& w : ws) w->stop();
  EXPECT_GE(cycles, 3u);
  EXPECT_LE(cycles, 15u);
  if (server()) {
    EXPECT_GE(evals, 3);
    EXPECT_LE(evals, 15);
    EXPECT_EQ(calls_of("eval"), 0);
  }
}

TEST_P(JobQueue, AnEnqueueWakesAnIdleWorkerAtOnce) {
  queue::queue q(store_, "jobs");
  auto o = quick(1);
  o.idle_check = 5s;
  std::atomic<std::int64_t> started_ns{0};
  queue::worker w(store_, "jobs", o);
  w.on("t", [&](const job&) -> asio::awaitable<void> {
    started_ns = steady::now().time_since_epoch().count();
    co_return;
  });
  w.start();
  ASSERT_TRUE(eventually([&] { return w.stats().cycles >= 1; }));
  for (std::uint64_t i = 1; i <= 3; ++i) {
    std::this_thread::sleep_for(30ms);  // asleep again
    started_ns = 0;
    const auto t0 = steady::now();
    q.enqueue("t", "x");
    ASSERT_TRUE(eventually([&] { return started_ns != 0; }, 1s)) << i;
    EXPECT_LT(steady::duration(started_ns.load()) - t0.time_since_epoch(), 200ms) << i;
    ASSERT_TRUE(eventually([&] { return q.stats().completed == i; })) << i;
  }
  const auto t0 = steady::now();
  w.stop();
  EXPECT_LT(steady::now() - t0, 1s);
}

TEST_P(JobQueue, WorkersSleepUntilTheNextDueTimeWhateverTheirClock) {
  // A worker with a running job and a delayed one sleeps until the lease or the due time (or
  // idle_check), computed from the store's clock: on the engine that clock is an hour behind
  // the worker's, as a Redis server's may be.
  if (auto* e = store_->engine()) e->set_time(sys_clock::now() - 1h);
  queue::queue q(store_, "jobs");
  std::atomic<bool> started{false}, finish{false};
  auto o = quick(2);
  o.idle_check = 300ms;
  queue::worker w(store_, "jobs", o);
  w.on("t", [&](const job&) -> asio::awaitable<void> {
    started = true;
    while (!finish) co_await wait_for(2ms);
  });
  job_options later;
  later.delay = 10s;
  q.enqueue("t", "later", later);
  q.enqueue("t", "now");
  w.start();
  ASSERT_TRUE(eventually([&] { return started.load(); }));
  const auto before = w.stats().cycles;
  std::this_thread::sleep_for(200ms);
  const auto during = w.stats().cycles - before;
  finish = true;
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }));
  w.stop(0ms);
  EXPECT_LE(during, 2u);
  EXPECT_EQ(q.stats().delayed, 1u);
}

TEST_P(JobQueue, EnqueuesRacingACycleStillWakeTheWorker) {
  // Jobs enqueued one after another while the worker is busy leasing the previous ones: each
  // notification may arrive while a cycle is in flight, and none may be lost (the worker would
  // then sleep for its 5 s idle_check, or until a 300 ms run ends, with a slot free).
  queue::queue q(store_, "jobs");
  auto o = quick(16);
  o.idle_check = 5s;
  std::mutex mu;
  std::map<std::string, steady::time_point> started;
  queue::worker w(store_, "jobs", o);
  w.on("t", [&](const job& j) -> asio::awaitable<void> {
    {
      std::lock_guard lock(mu);
      started[j.payload] = steady::now();
    }
    co_await wait_for(300ms);
  });
  w.start();
  ASSERT_TRUE(eventually([&] { return w.stats().cycles >= 1; }));
  std::this_thread::sleep_for(20ms);
  std::map<std::string, steady::time_point> enqueued;
  for (int i = 0; i < 16; ++i) {
    const auto name = std::to_string(i);
    enqueued[name] = steady::now();
    q.enqueue("t", name);
  }
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return started.size() == 16;
  }));
  for (const auto& [name, at] : enqueued) {
    std::lock_guard lock(mu);
    EXPECT_LT(started[name] - at, 150ms) << "job " << name;
  }
  ASSERT_TRUE(eventually([&] { return q.stats().completed == 16; }));
  w.stop();
}

TEST_P(JobQueue, StopDuringACycleDoesNotWaitForIdleCheck) {
  // stop() while the worker's cycle is in flight: its wake-up must not be lost (the worker
  // would sleep for its 5 s idle_check first). On Redis, CLIENT PAUSE holds the cycle 300 ms.
  queue::queue q(store_, "jobs");
  auto o = quick(1);
  o.idle_check = 5s;
  queue::worker w(store_, "jobs", o);
  w.start();
  ASSERT_TRUE(eventually([&] { return w.stats().cycles >= 1; }));
  std::this_thread::sleep_for(20ms);
  const auto cycles = w.stats().cycles;
  if (server()) {
    // The notification wakes the worker, whose cycle then waits for the pause to end.
    std::vector<command> cmds;
    cmds.emplace_back("PUBLISH", q.base() + ":wake", "1");
    cmds.emplace_back("CLIENT", "PAUSE", "300", "WRITE");
    for (const auto& r : store_->pipeline(std::move(cmds))) ASSERT_FALSE(r.is_error());
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(w.stats().cycles, cycles) << "the cycle was not held";
  }
  const auto t0 = steady::now();
  w.stop();
  EXPECT_LT(steady::now() - t0, 1s);
  if (server()) EXPECT_EQ(w.stats().cycles, cycles + 1);
}

TEST_P(JobQueue, AStoppedWorkerLetsGoOfItsStore) {
  // With the default 30 s lease, nothing of the worker (its heartbeat included) may hold the
  // store for 10 s after stop().
  auto s = on_engine() ? store::open("memory://") : open_store();
  std::weak_ptr<store> weak = s;
  {
    queue::queue q(s, "jobs");
    queue::worker w(s, "jobs", worker_options{});
    std::atomic<bool> ran{false};
    w.on("t", [&](const job&) -> asio::awaitable<void> {
      ran = true;
      co_return;
    });
    w.start();
    q.enqueue("t", "x");
    ASSERT_TRUE(eventually([&] { return q.stats().completed == 1; }));
    w.stop();
  }
  s.reset();
  EXPECT_TRUE(eventually([&] { return weak.expired(); }, 1s));
}

REDKIT_ALL_BACKENDS(JobQueue);

}  // namespace
}  // namespace redkit::test
