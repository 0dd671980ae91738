// Benchmarks BullMQ (npm, the version pinned in package.json) on the workload of bench_queue.ts,
// for the comparison with the reference's job queue and `redkit bench queue`. Prints one JSON line.
//
//   node dist/bench_bullmq.js --port P [--jobs N] [--concurrency C]
//
// The workload, as in bench_queue.ts:
// - One queue, named "bench" (BullMQ's keys bull:bench:*), on an empty redis-server, with
//   defaultJobOptions { removeOnComplete: true } — BullMQ's cheapest mode, which deletes a job
//   when it completes instead of keeping it in the completed set — and BullMQ's default
//   attempts (1); otherwise BullMQ's defaults (stalled-job checks, lock renewal).
// - Enqueue phase: N jobs, 64 in flight (closed loop, as the reference's enqueues; Queue.add
//   rather than addBulk, for parity with the reference's one enqueue per job); job i is
//   queue.add("noop", { i }). enqueue_per_s = N / wall time of the phase.
// - Drain phase: a Worker("bench", async () => {}, { concurrency: C }), created with autorun off
//   and connected (waitUntilReady) before the clock starts; the clock starts just before
//   worker.run() and stops at the N-th "completed" event of the worker (emitted once the job is
//   moved to completed, here deleted, in Redis). jobs_per_s = completed / that time. If no job
//   completes for 10 s before the N-th, the phase ends there and completed < N.
// - `errors` counts adds that threw and the worker's "failed" and "error" events (expected 0);
//   afterwards, jobs left waiting, active, delayed or failed count as errors too.
// The queue and the worker are closed at the end; exit status 0 if there were no errors and
// completed == N, else 1.
import { Queue, Worker } from 'bullmq';

import { closedLoop, completionCounter, integerOptions } from './bench_lib';

function options() {
  return integerOptions({ port: 6379, jobs: 20000, concurrency: 8 });
}

async function main() {
  const o = options();
  // Each Queue and Worker opens its own connections with these options; BullMQ's workers need
  // maxRetriesPerRequest: null.
  const connection = { host: '127.0.0.1', port: o.port, maxRetriesPerRequest: null };
  const queue = new Queue('bench', { connection, defaultJobOptions: { removeOnComplete: true } });

  let errors = 0;
  const report = (what: string, e: unknown) => {
    ++errors;
    process.stderr.write(`${what}: ${e instanceof Error ? e.message : e}\n`);
  };

  // Connect before the clock starts.
  await queue.waitUntilReady();

  const enqueue = await closedLoop(o.jobs, 64, async (i) => {
    try {
      await queue.add('noop', { i });
    } catch (e) {
      report('add', e);
    }
  });

  const worker = new Worker('bench', async () => {}, {
    connection, concurrency: o.concurrency, autorun: false,
  });
  worker.on('failed', (_job, e) => report('failed', e));
  worker.on('error', (e) => report('worker', e));
  await worker.waitUntilReady();

  const counter = completionCounter(o.jobs);
  worker.on('completed', counter.complete);
  const start = process.hrtime.bigint();
  const running = worker.run();
  const { count: completed, at } = await counter.done;
  const seconds = Number((at ?? start) - start) / 1e9;
  await worker.close();
  await running;

  const left = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
  if (Object.values(left).some((n) => n !== 0)) {
    report('getJobCounts', `left after the drain: ${JSON.stringify(left)}`);
  }
  await queue.close();

  const rate = (n: number, s: number) => Number((s > 0 ? n / s : 0).toFixed(1));
  console.log(JSON.stringify({
    workload: 'queue', impl: 'bullmq', jobs: o.jobs, concurrency: o.concurrency,
    enqueue_per_s: rate(o.jobs, enqueue.seconds), jobs_per_s: rate(completed, seconds),
    completed, errors,
  }));
  process.exitCode = errors === 0 && completed === o.jobs ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`bench_bullmq: ${e instanceof Error ? e.message : e}\n`);
  process.exit(2);
});
