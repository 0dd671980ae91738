// `redkit bench queue`: queue::queue enqueues, then queue::worker drains, on the workload of
// bench/reference/bench_queue.ts (the reference's JobQueue) and bench_bullmq.ts:
// - enqueue phase: --jobs N jobs of type "noop" with payload {"i": i}, 64 in flight;
// - drain phase: one worker with --concurrency C and a no-op handler, timed from its start to
//   the N-th completion the store has recorded.
// Prints one JSON line (--json) or a summary.
#include "bench.hpp"

#include <redkit/job_queue.hpp>

#include <fmt/core.h>

#include <atomic>
#include <thread>

namespace redkit::cli {

int run_queue_bench(const bench_options& o) {
  // The store has its own I/O thread: the worker's start() subscribes (a blocking call) and
  // its loop runs there; this thread drives the enqueue phase and then watches the counters.
  asio::io_context ioc(1);
  store_options so;
  so.request_timeout = std::chrono::milliseconds(o.timeout_ms);
  so.connect_timeout = std::chrono::milliseconds(o.timeout_ms);
  auto s = store::open(o.url, so);
  s->exec(command{"PING"});
  queue::queue_options qo;
  qo.timeout = std::chrono::milliseconds(o.timeout_ms);
  queue::queue q(s, "bench", qo);

  const auto enqueue = closed_loop(ioc, 64, o.jobs, [&](std::uint64_t i) -> asio::awaitable<void> {
    co_await q.async_enqueue("noop", fmt::format("{{\"i\":{}}}", i));
  });

  queue::worker_options wo;
  wo.concurrency = o.concurrency;
  wo.queue = qo;
  queue::worker w(s, "bench", wo);
  std::atomic<std::uint64_t> handled{0};
  w.on("noop", [&](const queue::job&) -> asio::awaitable<void> {
    ++handled;
    co_return;
  });
  const auto start = bench_clock::now();
  w.start();
  auto last_progress = start;
  std::uint64_t last_settled = 0;
  while (w.stats().settled < o.jobs) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    const auto settled = w.stats().settled;
    if (settled != last_settled) {
      last_settled = settled;
      last_progress = bench_clock::now();
    } else if (bench_clock::now() - last_progress > std::chrono::seconds(10)) {
      break;  // stalled: reported as completed < jobs
    }
  }
  const double seconds = std::chrono::duration<double>(bench_clock::now() - start).count();
  const auto c = w.stats();
  w.stop(std::chrono::seconds(1));
  s->close();

  const auto errors = enqueue.errors + c.failed + c.lost + (c.settled < o.jobs ? 1 : 0);
  const auto enqueue_rate = per_second(o.jobs, enqueue);
  const double jobs_rate = seconds > 0 ? static_cast<double>(c.settled) / seconds : 0;
  const auto store_desc = parse_store_url(o.url).redacted();
  if (o.json) {
    fmt::print(
        "{{\"workload\":\"queue\",\"store\":\"{}\",\"jobs\":{},\"concurrency\":{},"
        "\"enqueue_per_s\":{:.1f},\"jobs_per_s\":{:.1f},\"completed\":{},\"handled\":{},"
        "\"cycles\":{},\"errors\":{}}}\n",
        store_desc, o.jobs, o.concurrency, enqueue_rate, jobs_rate, c.settled, handled.load(),
        c.cycles, errors);
  } else {
    fmt::print(
        "queue on {}: {} jobs enqueued at {:.0f}/s, drained by {} at once at {:.0f} jobs/s "
        "({} completed, {} store cycles), {} errors\n",
        store_desc, o.jobs, enqueue_rate, o.concurrency, jobs_rate, c.settled, c.cycles, errors);
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace redkit::cli
