// Benchmarks the reference's distributed job queue (job_queue.ts) by calling JobQueue.enqueue,
// registerHandler, start and stop directly. Prints one JSON line.
//
//   node dist/bench_queue.js --port P [--jobs N] [--concurrency C]
//
// The workload (bench_bullmq.ts runs the same one on BullMQ, and `redkit bench queue` implements
// the same one):
// - One queue, named "bench" (the reference's keys queue:bench:pending, queue:bench:processing
//   and queue:bench:job:<uuid>), on an empty redis-server.
// - Enqueue phase: N jobs, 64 in flight (closed loop: 64 workers each take the next job in index
//   order and await it, whatever C is); job i is enqueue("noop", { i }) with the reference's
//   defaults (priority 0, maxAttempts 3). enqueue_per_s = N / wall time of the phase.
// - Drain phase: the handler of "noop" is a no-op (`async () => {}`); the clock starts just
//   before start(), which runs the reference's C worker loops (JobQueue(name, C)), and stops at
//   the N-th completion. jobs_per_s = completed / that time.
// - A completion is the reference's completeJob(job) having resolved (its ZREM + DEL pipeline
//   acknowledged), which is after the handler returned: the driver wraps the private
//   JobQueue.prototype.completeJob to count it (job_queue.ts itself is unchanged; the wrapper
//   adds one await). The reference has no "drained" signal and stop() only clears a flag, so the
//   driver calls stop() at the N-th completion; the worker loops then exit within the 100 ms they
//   sleep when the queue is empty, after the clock stopped. If no job completes for 10 s before
//   the N-th (a lost job), the phase ends there and completed < N.
// - `errors` counts enqueues that threw, worker iterations that threw (the reference logs them
//   and sleeps 1 s), and jobs sent to the reference's retry or dead-letter path (handleJobError,
//   failJob); all expected 0. Afterwards, jobs left pending or processing count as errors too.
// The reference's Redis connection is module-private, so the driver ends with process.exit (0 if
// there were no errors and completed == N, else 1) after printing.
import { closedLoop, completionCounter, integerOptions } from './bench_lib';

function options() {
  return integerOptions({ port: 6379, jobs: 20000, concurrency: 8 });
}

async function main() {
  const o = options();
  process.env.REDIS_PORT = String(o.port);  // read by job_queue.ts when it loads
  const { JobQueue } = await import('./job_queue');
  const queue = new JobQueue('bench', o.concurrency);

  let errors = 0;
  const report = (what: string, e: unknown) => {
    ++errors;
    process.stderr.write(`${what}: ${e instanceof Error ? e.message : e}\n`);
  };
  let completion = () => {};  // set at the start of the drain phase
  // The reference's private methods, wrapped on the prototype to count completions and errors.
  const proto = JobQueue.prototype as unknown as Record<string, (...args: any[]) => Promise<void>>;
  const wrap = (name: string, around: (call: () => Promise<void>) => Promise<void>) => {
    const original = proto[name];
    proto[name] = function (this: unknown, ...args: any[]) {
      return around(() => original.apply(this, args));
    };
  };
  wrap('completeJob', async (call) => {
    await call();
    completion();
  });
  wrap('processNextJob', async (call) => {
    try {
      await call();
    } catch (e) {
      report('processNextJob', e);
      throw e;  // to the reference's worker loop, which logs it and sleeps 1 s
    }
  });
  for (const name of ['handleJobError', 'failJob']) {
    wrap(name, async (call) => {
      report(name, 'a job took the retry or dead-letter path');
      await call();
    });
  }

  // Connect before the clock starts (one getStats of the empty queue, not counted).
  await queue.getStats();

  const enqueue = await closedLoop(o.jobs, 64, async (i) => {
    try {
      await queue.enqueue('noop', { i });
    } catch (e) {
      report('enqueue', e);
    }
  });

  queue.registerHandler('noop', async () => {});
  const counter = completionCounter(o.jobs);
  completion = counter.complete;
  const start = process.hrtime.bigint();
  const workers = queue.start();
  const { count: completed, at } = await counter.done;
  queue.stop();
  const seconds = Number((at ?? start) - start) / 1e9;
  await workers;  // the worker loops see the flag within 100 ms

  const stats = await queue.getStats();
  if (stats.pending + stats.processing + stats.dead !== 0) {
    report('getStats', `left after the drain: ${JSON.stringify(stats)}`);
  }

  const rate = (n: number, s: number) => Number((s > 0 ? n / s : 0).toFixed(1));
  console.log(JSON.stringify({
    workload: 'queue', impl: 'reference', jobs: o.jobs, concurrency: o.concurrency,
    enqueue_per_s: rate(o.jobs, enqueue.seconds), jobs_per_s: rate(completed, seconds),
    completed, errors,
  }));
  process.exit(errors === 0 && completed === o.jobs ? 0 : 1);  // the connection is module-private
}

main().catch((e) => {
  process.stderr.write(`bench_queue: ${e instanceof Error ? e.message : e}\n`);
  process.exit(2);
});
