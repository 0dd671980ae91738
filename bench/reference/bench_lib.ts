// Shared by the reference drivers (bench_sessions.ts, bench_leaderboard.ts): integer options
// from `--name value` pairs, and the closed loop that keeps C calls in flight and times each.

// `defaults` overridden by the command line's `--name value` pairs (positive integers only).
export function integerOptions<T extends Record<string, number>>(defaults: T): T {
  const o: Record<string, number> = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (!(name in o) || value === undefined) throw new Error(`bad option ${argv[i]}`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`bad ${argv[i]} ${value}`);
    o[name] = n;
  }
  return o as T;
}

// The p-th (0-1) of sorted latencies in ns, in whole us.
export function percentileUs(sortedNs: Float64Array, p: number): number {
  return Math.floor(sortedNs[Math.floor(p * (sortedNs.length - 1))] / 1000);
}

// Runs job(0) .. job(count - 1) with C in flight, in index order; returns each job's latency in
// ns (sorted) and the wall time in seconds.
export async function closedLoop(count: number, concurrency: number,
                                 job: (i: number) => Promise<void>) {
  const latencies = new Float64Array(count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const t0 = process.hrtime.bigint();
      await job(i);
      latencies[i] = Number(process.hrtime.bigint() - t0);
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort();
  return { latencies, seconds };
}

// For the queue drivers (bench_queue.ts, bench_bullmq.ts).
// Counts completions (complete() once per completed job) towards `target`, from now: `done`
// resolves with the count and the time (process.hrtime.bigint) of the target-th completion — or,
// if the count stops moving for stallMs before reaching the target (a lost job), of the last
// completion seen (undefined if none), so that a driver reports completed < target instead of
// hanging.
export function completionCounter(target: number, stallMs = 10000) {
  let count = 0;
  let last: bigint | undefined;
  let resolve!: (r: { count: number; at: bigint | undefined }) => void;
  const done = new Promise<{ count: number; at: bigint | undefined }>((r) => { resolve = r; });
  let seen = -1;
  const finish = () => {
    clearInterval(watchdog);
    resolve({ count, at: last });
  };
  const watchdog = setInterval(() => {
    if (count === seen) finish();
    seen = count;
  }, stallMs);
  const complete = () => {
    last = process.hrtime.bigint();
    if (++count === target) finish();
  };
  return { complete, done };
}
