// The job queue's lease-level calls (queue::lease_client, for remote workers) on every backend:
// reserve in priority order with one token and the lease's end by the store's clock, ack, fail
// into a retry (a given delay or the backoff's, exact on the engine's frozen clock) and then the
// dead set, an expired lease re-delivered to another reserve with the old token refused
// everywhere, a heartbeat that keeps a lease past its first end, release without counting the
// attempt, a waiting reserve ended by an enqueue's notification, and bad arguments.
#include "support/backends.hpp"
#include "support/store_helpers.hpp"

#include <redkit/engine.hpp>
#include <redkit/job_queue.hpp>

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

namespace redkit::test {
namespace {

using namespace std::chrono_literals;
using queue::fail_outcome;
using queue::job_options;
using queue::job_state;
using queue::lease_client;
using queue::lease_options;
using steady = std::chrono::steady_clock;
using sys_clock = std::chrono::system_clock;

std::int64_t ms_of(sys_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

class JobQueueLease : public backend_test {
 protected:
  void SetUp() override {
    backend_test::SetUp();
    if (auto* e = store_->engine()) e->set_time(sys_clock::now());  // frozen
  }

  /// The store's time now (ms): the engine's frozen clock, or the system's for Redis.
  std::int64_t store_now() {
    if (auto* e = store_->engine()) return ms_of(e->now());
    return ms_of(sys_clock::now());
  }

  /// Checks that a lease end is `lease` after the store's time, exactly on the frozen engine
  /// clock and between `before` and now on Redis.
  void expect_lease_end(sys_clock::time_point end, std::chrono::milliseconds lease,
                        std::int64_t before) {
    if (store_->engine()) {
      EXPECT_EQ(ms_of(end), store_now() + lease.count());
    } else {
      EXPECT_GE(ms_of(end), before + lease.count());
      EXPECT_LE(ms_of(end), store_now() + lease.count());
    }
  }

  static job_options with_id(std::string id, std::uint32_t priority = 0,
                             std::uint32_t max_attempts = 3) {
    job_options o;
    o.id = std::move(id);
    o.priority = priority;
    o.max_attempts = max_attempts;
    return o;
  }
};

TEST_P(JobQueueLease, ReserveLeasesInPriorityOrderAndAckSettles) {
  queue::queue q(store_, "jobs");
  q.enqueue("mail", "low", with_id("a", 5));
  auto o = with_id("b", 1, 4);
  o.timeout = 2500ms;
  q.enqueue("sms", "high", o);
  q.enqueue("mail", "mid", with_id("c", 3));
  lease_client lc(store_, "jobs");

  const auto before = store_now();
  const auto jobs = lc.reserve(2, 1000ms);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].id, "b");
  EXPECT_EQ(jobs[0].type, "sms");
  EXPECT_EQ(jobs[0].payload, "high");
  EXPECT_EQ(jobs[0].attempt, 1u);
  EXPECT_EQ(jobs[0].max_attempts, 4u);
  EXPECT_EQ(jobs[0].timeout, 2500ms);
  EXPECT_GE(ms_of(jobs[0].created), before - 5000);
  EXPECT_EQ(jobs[1].id, "c");
  EXPECT_EQ(jobs[1].timeout, 0ms);
  EXPECT_FALSE(jobs[0].token.empty());
  EXPECT_EQ(jobs[0].token, jobs[1].token);  // one token per reserve
  EXPECT_EQ(jobs[0].lease_end, jobs[1].lease_end);
  expect_lease_end(jobs[0].lease_end, 1000ms, before);
  EXPECT_EQ(q.status("b")->state, job_state::active);
  EXPECT_EQ(q.status("b")->attempts, 1u);

  EXPECT_TRUE(lc.ack("b", jobs[0].token));
  EXPECT_FALSE(lc.ack("b", jobs[0].token)) << "settled twice";
  EXPECT_FALSE(q.status("b").has_value()) << "completed jobs are not kept by default";
  auto s = q.stats();
  EXPECT_EQ(s.completed, 1u);
  EXPECT_EQ(s.active, 1u);
  EXPECT_EQ(s.pending, 1u);

  const auto rest = lc.reserve(5, 1000ms);
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].id, "a");
  EXPECT_NE(rest[0].token, jobs[0].token);
  EXPECT_TRUE(lc.ack("c", jobs[1].token));
  EXPECT_TRUE(lc.ack("a", rest[0].token));
  EXPECT_TRUE(lc.reserve(5, 1000ms).empty());
  s = q.stats();
  EXPECT_EQ(s.completed, 3u);
  EXPECT_EQ(s.pending + s.active + s.delayed + s.dead, 0u);
}

TEST_P(JobQueueLease, FailRetriesAfterTheDelayThenGoesDead) {
  queue::queue q(store_, "jobs");
  q.enqueue("t", "x", with_id("j", 0, 3));
  lease_options lo;
  lo.backoff.base = 1000ms;
  lo.backoff.jitter = 0;
  lease_client lc(store_, "jobs", lo);

  // Attempt 1 fails with a delay of its own: due at once.
  auto jobs = lc.reserve(1, 1000ms);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(lc.fail("j", jobs[0].token, "boom 1", 0ms), fail_outcome::retried);
  EXPECT_EQ(lc.fail("j", jobs[0].token, "again", 0ms), fail_outcome::lost) << "settled twice";
  auto st = q.status("j");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, job_state::pending) << "a retry due now is pending at once";
  EXPECT_EQ(st->last_error, "boom 1");

  // Attempt 2 fails with the backoff's delay: base × 2^(2 − 1) = 2 s.
  jobs = lc.reserve(1, 1000ms);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].attempt, 2u);
  const auto before = store_now();
  EXPECT_EQ(lc.fail("j", jobs[0].token, "boom 2"), fail_outcome::retried);
  const auto due = store_->exec(command{"ZSCORE", q.base() + ":delayed", "j"});
  const auto due_ms = std::stoll(due.is_string() ? due.string : std::to_string(due.number));
  if (store_->engine()) {
    EXPECT_EQ(due_ms, before + 2000);
  } else {
    EXPECT_GE(due_ms, before + 2000);
    EXPECT_LE(due_ms, store_now() + 2000);
  }
  EXPECT_EQ(q.status("j")->state, job_state::failed);
  EXPECT_EQ(q.status("j")->last_error, "boom 2");
  EXPECT_TRUE(lc.reserve(1, 1000ms).empty()) << "not due yet";
  if (auto* e = store_->engine()) {
    e->advance(2000ms);
  } else {
    // (Redis's clock cannot be moved: make it due now instead of sleeping 2 s.)
    store_->exec(command{"ZADD", q.base() + ":delayed", "0", "j"});
  }

  // Attempt 3 is the last: its failure makes the job dead.
  jobs = lc.reserve(1, 1000ms);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].attempt, 3u);
  EXPECT_EQ(lc.fail("j", jobs[0].token, "boom 3"), fail_outcome::dead);
  st = q.status("j");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, job_state::dead);
  EXPECT_EQ(st->attempts, 3u);
  const auto dead = q.dead();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, "j");
  EXPECT_EQ(dead[0].last_error, "boom 3");
  const auto s = q.stats();
  EXPECT_EQ(s.failed, 3u);
  EXPECT_EQ(s.dead, 1u);
  EXPECT_EQ(s.completed, 0u);
}

TEST_P(JobQueueLease, ExpiredLeaseGoesToAnotherReserveAndTheOldTokenIsRefused) {
  queue::queue q(store_, "jobs");
  q.enqueue("t", "x", with_id("j"));
  lease_client first(store_, "jobs");
  lease_client second(open_store(), "jobs");

  const auto a = first.reserve(1, 100ms);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(second.reserve(1, 100ms).empty()) << "leased";
  advance(150ms);
  const auto b = second.reserve(1, 1000ms);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].id, "j");
  EXPECT_EQ(b[0].attempt, 2u);
  EXPECT_NE(b[0].token, a[0].token);

  EXPECT_FALSE(first.ack("j", a[0].token));
  EXPECT_FALSE(first.heartbeat("j", a[0].token, 1000ms).has_value());
  EXPECT_FALSE(first.release("j", a[0].token));
  EXPECT_EQ(first.fail("j", a[0].token, "late", 0ms), fail_outcome::lost);
  EXPECT_EQ(first.fail("j", a[0].token, "late"), fail_outcome::lost);
  auto st = q.status("j");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, job_state::active);
  EXPECT_EQ(st->attempts, 2u);
  EXPECT_EQ(st->last_error, "");

  EXPECT_TRUE(second.ack("j", b[0].token));
  const auto s = q.stats();
  EXPECT_EQ(s.completed, 1u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.pending + s.active + s.delayed + s.dead, 0u);
}

TEST_P(JobQueueLease, HeartbeatKeepsTheLeasePastItsFirstEnd) {
  queue::queue q(store_, "jobs");
  q.enqueue("t", "x", with_id("j"));
  lease_client lc(store_, "jobs");
  lease_client other(open_store(), "jobs");

  const auto jobs = lc.reserve(1, 1000ms);
  ASSERT_EQ(jobs.size(), 1u);
  advance(600ms);
  const auto before = store_now();
  const auto renewed = lc.heartbeat("j", jobs[0].token, 1000ms);
  ASSERT_TRUE(renewed.has_value());
  expect_lease_end(*renewed, 1000ms, before);
  EXPECT_GT(*renewed, jobs[0].lease_end);
  advance(600ms);  // past the first end, before the renewed one
  EXPECT_TRUE(other.reserve(1, 1000ms).empty()) << "the renewed lease holds";
  EXPECT_EQ(q.status("j")->attempts, 1u);
  EXPECT_TRUE(lc.ack("j", jobs[0].token));
  EXPECT_EQ(q.stats().completed, 1u);
}

TEST_P(JobQueueLease, ReleaseGivesTheJobBackWithoutCountingTheAttempt) {
  queue::queue q(store_, "jobs");
  q.enqueue("t", "x", with_id("j", 0, 1));
  lease_client lc(store_, "jobs");

  auto jobs = lc.reserve(1, 1000ms);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_FALSE(lc.release("j", "not-the-token"));
  EXPECT_EQ(q.status("j")->state, job_state::active);
  EXPECT_TRUE(lc.release("j", jobs[0].token));
  EXPECT_FALSE(lc.release("j", jobs[0].token)) << "released twice";
  auto st = q.status("j");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, job_state::pending);
  EXPECT_EQ(st->attempts, 0u);

  // Its only attempt is still to come: it runs (attempt 1 of 1) instead of going dead.
  jobs = lc.reserve(1, 1000ms);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].attempt, 1u);
  EXPECT_TRUE(lc.ack("j", jobs[0].token));
  EXPECT_EQ(q.stats().dead, 0u);
}

TEST_P(JobQueueLease, WaitingReserveReturnsAsSoonAsAJobIsEnqueued) {
  queue::queue q(store_, "jobs");
  lease_options lo;
  lo.poll = 30s;  // only the notification can end the wait early
  lease_client lc(open_store(), "jobs", lo);

  // With nothing enqueued, the wait runs out and the reserve returns nothing.
  auto t0 = steady::now();
  EXPECT_TRUE(lc.reserve(1, 1000ms, 150ms).empty());
  EXPECT_GE(steady::now() - t0, 150ms);

  t0 = steady::now();
  auto waiting = std::async(std::launch::async, [&] { return lc.reserve(1, 1000ms, 4000ms); });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(waiting.wait_for(0ms), std::future_status::timeout) << "returned before the enqueue";
  q.enqueue("t", "x", with_id("j"));
  const auto jobs = waiting.get();
  EXPECT_LT(steady::now() - t0, 2500ms) << "woken by the notification, not the 4 s wait";
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, "j");
  EXPECT_TRUE(lc.ack("j", jobs[0].token));

  // A paused queue leases nothing; resuming wakes the waiting reserve.
  q.pause();
  q.enqueue("t", "y", with_id("k"));
  t0 = steady::now();
  waiting = std::async(std::launch::async, [&] { return lc.reserve(1, 1000ms, 4000ms); });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(waiting.wait_for(0ms), std::future_status::timeout) << "leased while paused";
  q.resume();
  const auto resumed = waiting.get();
  EXPECT_LT(steady::now() - t0, 2500ms);
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].id, "k");
}

TEST_P(JobQueueLease, BadArgumentsAreInvalid) {
  lease_client lc(store_, "jobs");
  const auto invalid = [](auto call) {
    const auto e = error_from(call);
    return e && e->code() == errc::invalid_argument;
  };
  EXPECT_TRUE(invalid([&] { lc.reserve(0, 1000ms); }));
  EXPECT_TRUE(invalid([&] { lc.reserve(1001, 1000ms); }));
  EXPECT_TRUE(invalid([&] { lc.reserve(1, 10ms); }));
  EXPECT_TRUE(invalid([&] { lc.reserve(1, 1000ms, -1ms); }));
  EXPECT_TRUE(invalid([&] { lc.ack("", "t"); }));
  EXPECT_TRUE(invalid([&] { lc.ack("j", ""); }));
  EXPECT_TRUE(invalid([&] { lc.heartbeat("j", "t", 0ms); }));
  EXPECT_TRUE(invalid([&] { lc.fail("j", "t", "e", -5ms); }));
  EXPECT_TRUE(invalid([&] { lease_client bad(store_, "a{b}"); }));
  lease_options lo;
  lo.poll = 0ms;
  EXPECT_TRUE(invalid([&] { lease_client bad(store_, "jobs", lo); }));
  // An unknown job is a lost lease, not an error.
  EXPECT_FALSE(lc.ack("nope", "t"));
  EXPECT_EQ(lc.fail("nope", "t", "e"), fail_outcome::lost);
}

REDKIT_ALL_BACKENDS(JobQueueLease);

}  // namespace
}  // namespace redkit::test
