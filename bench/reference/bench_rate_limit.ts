// Benchmarks the reference limiter (rate_limiter.ts) by calling its middleware directly, with
// fake req/res objects and no HTTP server: what is measured is the limiter, not Express.
// Closed loop: C workers each run one check and await its end (next() or res.json()) before the
// next, so C checks are in flight. Check i uses id (i mod K) * S mod K, with S the first stride
// from K * 0.618 that is coprime with K, as `redkit bench` does: every id gets the same share,
// in a scattered order. Prints one JSON line.
//
//   node dist/bench_rate_limit.js --port P [--ops N] [--keys K] [--concurrency C]
//                                 [--tier anonymous|authenticated|premium]
//
// anonymous (the default, 60/min): req.ip is 10.x.y.z for id n, key ratelimit:anonymous:10.x.y.z.
// authenticated / premium: req.user = { id: "<n>" }, key ratelimit:<tier>:<n>.
import type { NextFunction, Request, Response } from 'express';
import { performance } from 'node:perf_hooks';

function options() {
  const o = { port: 6379, ops: 200000, keys: 10000, concurrency: 64, tier: 'anonymous' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    if (!(name in o) || value === undefined) throw new Error(`bad option ${argv[i]}`);
    if (name === 'tier') {
      if (!['anonymous', 'authenticated', 'premium'].includes(value)) throw new Error(`bad tier ${value}`);
      o.tier = value;
    } else {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`bad ${argv[i]} ${value}`);
      (o as Record<string, number | string>)[name] = n;
    }
  }
  return o;
}

function percentileUs(sortedMs: Float64Array, p: number): number {
  return Math.floor(sortedMs[Math.floor(p * (sortedMs.length - 1))] * 1000);
}

async function main() {
  const o = options();
  process.env.REDIS_PORT = String(o.port);  // read by rate_limiter.ts when it loads
  const { rateLimiter } = await import('./rate_limiter');
  const middleware = rateLimiter();

  // The reference fails open: on a Redis error it logs 'Rate limit error:' and calls next().
  let errors = 0;
  console.error = (...args: unknown[]) => {
    if (args[0] === 'Rate limit error:') ++errors;
    process.stderr.write(args.map(String).join(' ') + '\n');
  };

  // The ids' names and which id each check uses, made before timing starts.
  const names = Array.from({ length: o.keys }, (_, n) =>
    o.tier === 'anonymous' ? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` : String(n));
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = Math.max(1, Math.floor((o.keys * 618) / 1000));
  while (gcd(stride, o.keys) !== 1) ++stride;
  const ids = new Uint32Array(o.ops);
  for (let i = 0; i < o.ops; ++i) ids[i] = Number((BigInt(i % o.keys) * BigInt(stride)) % BigInt(o.keys));
  // req for an id: anonymous by IP, or a signed-in user of the tier.
  const request = (name: string) =>
    (o.tier === 'anonymous' ? { ip: name }
      : { ip: '127.0.0.1', user: { id: name, premium: o.tier === 'premium' } }) as unknown as Request;

  let allowed = 0;
  let denied = 0;
  // One check through the middleware; resolves when it calls next() or res.json().
  const check = (req: Request) =>
    new Promise<void>((resolve, reject) => {
      // Records what the limiter sets, as Express would send it.
      const res = {
        statusCode: 200,
        headers: {} as Record<string, string>,
        body: undefined as unknown,
        set: (h: Record<string, string>) => { Object.assign(res.headers, h); return res; },
        status: (code: number) => { res.statusCode = code; return res; },
        json: (body: unknown) => {
          res.body = body;
          if (res.statusCode === 429) ++denied;
          resolve();
          return res;
        },
      };
      const next: NextFunction = () => { ++allowed; resolve(); };
      middleware(req, res as unknown as Response, next).catch(reject);
    });

  // Connect before the clock starts (one check of an id outside the K, not counted).
  await check(request('warmup'));
  allowed = 0;
  denied = 0;
  errors = 0;

  const latencies = new Float64Array(o.ops);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= o.ops) return;
      const req = request(names[ids[i]]);
      const t0 = performance.now();
      await check(req);
      latencies[i] = performance.now() - t0;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;

  latencies.sort();
  allowed -= errors;  // failed-open checks called next() too
  console.log(JSON.stringify({
    workload: 'ratelimit', impl: 'reference', store: `redis://127.0.0.1:${o.port}`,
    ops: o.ops, concurrency: o.concurrency, seconds: Number(seconds.toFixed(6)),
    ops_per_s: Number((o.ops / seconds).toFixed(1)),
    p50_us: percentileUs(latencies, 0.5), p99_us: percentileUs(latencies, 0.99),
    allowed, denied, errors,
  }));
  process.exit(errors === 0 ? 0 : 1);  // the limiter's connection is module-private
}

main().catch((e) => {
  process.stderr.write(`bench_rate_limit: ${e instanceof Error ? e.message : e}\n`);
  process.exit(2);
});
