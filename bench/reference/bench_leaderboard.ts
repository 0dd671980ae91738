// Benchmarks the reference's real-time leaderboard (leaderboard.ts) by calling
// Leaderboard.updateScore, getTop, getAroundPlayer and getPage directly. Prints one JSON line.
//
//   node dist/bench_leaderboard.js --port P [--players P] [--ops N] [--reads R] [--concurrency C]
//
// The workload (`redkit bench leaderboard` implements the same one):
// - One board, named "bench" (the reference's keys leaderboard:bench and
//   leaderboard:bench:players), with maxSize = P, so every player fits and the trim never
//   removes one.
// - Player p (0..P-1) is { id: "player:<p>", name: "Player <p>",
//   avatar: "https://example.com/avatars/<p>.png" }.
// - S is the stride of every bench workload (coprime_stride() in apps/redkit/bench.cpp, as in
//   bench_rate_limit.ts): s = max(1, floor(618 * P / 1000)) in integer arithmetic, then ++s while
//   gcd(s, P) != 1 (P = 10000: S = 6181; P = 100: S = 61), so i * S % P visits every player
//   once per P consecutive i, in a scattered order. Products below (i * S, i * 7919, j * S,
//   j * 7) are exact (64-bit integers in C++).
// - Update phase: N updates, C in flight (closed loop: C workers each take the next update in
//   index order and await it); update i is updateScore(player (i * S) % P, (i * 7919) % 100000),
//   the score an integer. The first P updates (if N >= P) give every player a score.
// - Then three read phases of R reads each, C in flight, in this order, read j = 0..R-1 being:
//   top:    getTop(10);
//   around: getAroundPlayer("player:<(j * S) % P>", 5);
//   page:   getPage(1 + (j * 7) % pages, 20), with pages = ceil(P / 20).
// - Then board_players = ZCARD leaderboard:bench (min(N, P) expected).
// Latencies are per call (process.hrtime.bigint); p50/p99 in whole us, the p-th of the sorted
// latencies at index floor(p * (count - 1)). ops_per_s = count / wall time of the phase.
// `errors` counts calls that threw (the reference does not catch).
import Redis from 'ioredis';

import { closedLoop, integerOptions, percentileUs } from './bench_lib';

function options() {
  return integerOptions({ port: 6379, players: 10000, ops: 100000, reads: 10000, concurrency: 64 });
}

async function main() {
  const o = options();
  process.env.REDIS_PORT = String(o.port);  // read by leaderboard.ts when it loads
  const { Leaderboard } = await import('./leaderboard');
  const board = new Leaderboard('bench', o.players);  // maxSize = P: every player fits

  // The players, and which player, score and page each call uses, made before timing starts.
  const players = Array.from({ length: o.players }, (_, p) =>
    ({ id: `player:${p}`, name: `Player ${p}`, avatar: `https://example.com/avatars/${p}.png` }));
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = Math.max(1, Math.floor((618 * o.players) / 1000));
  while (gcd(stride, o.players) !== 1) ++stride;
  const scatter = (i: number) => Number((BigInt(i) * BigInt(stride)) % BigInt(o.players));
  const updated = Uint32Array.from({ length: o.ops }, (_, i) => scatter(i));
  const scores = Uint32Array.from({ length: o.ops }, (_, i) =>
    Number((BigInt(i) * 7919n) % 100000n));
  const around = Array.from({ length: o.reads }, (_, j) => `player:${scatter(j)}`);
  const pages = Math.ceil(o.players / 20);
  const page = Uint32Array.from({ length: o.reads }, (_, j) =>
    1 + Number((BigInt(j) * 7n) % BigInt(pages)));

  let errors = 0;
  const report = (what: string, e: unknown) => {
    ++errors;
    process.stderr.write(`${what}: ${e instanceof Error ? e.message : e}\n`);
  };
  // run WHAT COUNT CALL: a closed loop of COUNT calls that counts (and logs) those that throw.
  const run = (what: string, count: number, call: (i: number) => Promise<unknown>) =>
    closedLoop(count, o.concurrency, async (i) => {
      try {
        await call(i);
      } catch (e) {
        report(what, e);
      }
    });

  // Connect before the clock starts (one getTop of the empty board, not counted).
  await board.getTop(1);

  const update = await run('updateScore', o.ops, (i) =>
    board.updateScore(players[updated[i]], scores[i]));
  const topPhase = await run('getTop', o.reads, () => board.getTop(10));
  const aroundPhase = await run('getAroundPlayer', o.reads, (j) =>
    board.getAroundPlayer(around[j], 5));
  const pagePhase = await run('getPage', o.reads, (j) => board.getPage(page[j], 20));

  // Count the board on a connection of our own (the reference's is module-private).
  const redis = new Redis(o.port, '127.0.0.1');
  const boardPlayers = await redis.zcard('leaderboard:bench');

  const rate = (n: number, s: number) => Number((n / s).toFixed(1));
  console.log(JSON.stringify({
    workload: 'leaderboard', impl: 'reference', players: o.players, ops: o.ops, reads: o.reads,
    concurrency: o.concurrency,
    update_ops_per_s: rate(o.ops, update.seconds),
    update_p50_us: percentileUs(update.latencies, 0.5),
    update_p99_us: percentileUs(update.latencies, 0.99),
    top_ops_per_s: rate(o.reads, topPhase.seconds),
    top_p99_us: percentileUs(topPhase.latencies, 0.99),
    around_ops_per_s: rate(o.reads, aroundPhase.seconds),
    around_p99_us: percentileUs(aroundPhase.latencies, 0.99),
    page_ops_per_s: rate(o.reads, pagePhase.seconds),
    page_p99_us: percentileUs(pagePhase.latencies, 0.99),
    board_players: boardPlayers, errors,
  }));
  process.exit(errors === 0 ? 0 : 1);  // the reference's connection is module-private
}

main().catch((e) => {
  process.stderr.write(`bench_leaderboard: ${e instanceof Error ? e.message : e}\n`);
  process.exit(2);
});
