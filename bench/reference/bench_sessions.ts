// Benchmarks the reference's session authentication (auth_service.ts) by calling
// AuthService.login and AuthService.validateSession directly, with fake requests and no HTTP
// server: what is measured is the session store, not Express. Prints one JSON line.
//
//   node dist/bench_sessions.js --port P [--users U] [--ops N] [--concurrency C]
//
// The workload (`redkit bench sessions` implements the same one):
// - User u (0..U-1) has d_u = 1 + (u % 7) devices; its user object is
//   { id: "user:<u>", email: "user<u>@example.com", roles: ["user"] }.
// - Login phase: one login per (user, device) pair, L = sum d_u logins, issued device-major
//   (device 0 of every user, then device 1 of every user having >= 2 devices, ...), C in flight
//   (closed loop: C workers each take the next login in that order and await it). Login (u, k)
//   has the headers { "x-device-id": "device:<k>", "user-agent": "bench-agent/<u % 50>",
//   "accept-language": "en-US" }.
// - Live tokens afterwards: for each user, the tokens of its last min(d_u, 5) logins (device
//   order), the reference keeping at most 5 sessions per user; ordered by user, then device.
// - Validate phase: N validations, C in flight; validation i uses live token i % (number of live
//   tokens), with the same headers as that token's login. A validation that returns null counts
//   as `invalid` (expected 0).
// - Then: live_sessions = the number of session:* keys (SCAN ... COUNT 1000), which with the
//   reference's races (its read-then-write login) may exceed sum min(d_u, 5); and
//   max_sessions_per_user = the largest SCARD of the user:sessions:* sets.
// Latencies are per login / per validation (process.hrtime.bigint); p50/p99 in whole us.
// `errors` counts logins and validations that threw (the reference does not catch).
import type { Request } from 'express';
import Redis from 'ioredis';

import { closedLoop, integerOptions, percentileUs } from './bench_lib';

function options() {
  return integerOptions({ port: 6379, users: 1250, ops: 50000, concurrency: 64 });
}

async function main() {
  const o = options();
  process.env.REDIS_PORT = String(o.port);  // read by auth_service.ts when it loads
  const { AuthService } = await import('./auth_service');
  const auth = new AuthService();

  // The users, the logins in issue order and their requests, made before timing starts.
  const devices = (u: number) => 1 + (u % 7);
  const users = Array.from({ length: o.users }, (_, u) =>
    ({ id: `user:${u}`, email: `user${u}@example.com`, roles: ['user'] }));
  const request = (u: number, k: number) => ({
    headers: {
      'x-device-id': `device:${k}`,
      'user-agent': `bench-agent/${u % 50}`,
      'accept-language': 'en-US',
    },
  }) as unknown as Request;
  const logins: { u: number; k: number; req: Request }[] = [];
  for (let k = 0; k < 7; ++k) {
    for (let u = 0; u < o.users; ++u) if (k < devices(u)) logins.push({ u, k, req: request(u, k) });
  }
  const tokens = users.map((_, u) => new Array<string | undefined>(devices(u)));

  let errors = 0;
  const report = (what: string, e: unknown) => {
    ++errors;
    process.stderr.write(`${what}: ${e instanceof Error ? e.message : e}\n`);
  };

  // Connect before the clock starts (one validation of a token that does not exist, not counted).
  await auth.validateSession('warmup', request(0, 0));

  const login = await closedLoop(logins.length, o.concurrency, async (i) => {
    const { u, k, req } = logins[i];
    try {
      tokens[u][k] = (await auth.login(users[u], req)).sessionId;
    } catch (e) {
      report('login', e);
    }
  });

  const live: { token: string; req: Request }[] = [];
  for (let u = 0; u < o.users; ++u) {
    for (let k = Math.max(0, devices(u) - 5); k < devices(u); ++k) {
      const token = tokens[u][k];
      if (token !== undefined) live.push({ token, req: request(u, k) });
    }
  }
  if (live.length === 0) throw new Error('no live tokens after the login phase');

  let invalid = 0;
  const validate = await closedLoop(o.ops, o.concurrency, async (i) => {
    const { token, req } = live[i % live.length];
    try {
      if ((await auth.validateSession(token, req)) === null) ++invalid;
    } catch (e) {
      report('validateSession', e);
    }
  });

  // Count what is left, on a connection of our own (the reference's is module-private).
  const redis = new Redis(o.port, '127.0.0.1');
  const scan = async (pattern: string) => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [nextCursor, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = nextCursor;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  };
  const liveSessions = (await scan('session:*')).length;
  let maxSessionsPerUser = 0;
  const sets = await scan('user:sessions:*');
  if (sets.length > 0) {
    const pipeline = redis.pipeline();
    for (const key of sets) pipeline.scard(key);
    for (const [err, n] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      maxSessionsPerUser = Math.max(maxSessionsPerUser, n as number);
    }
  }

  const rate = (n: number, s: number) => Number((n / s).toFixed(1));
  console.log(JSON.stringify({
    workload: 'sessions', impl: 'reference', users: o.users, logins: logins.length, ops: o.ops,
    concurrency: o.concurrency,
    login_seconds: Number(login.seconds.toFixed(6)),
    login_ops_per_s: rate(logins.length, login.seconds),
    login_p50_us: percentileUs(login.latencies, 0.5),
    login_p99_us: percentileUs(login.latencies, 0.99),
    validate_seconds: Number(validate.seconds.toFixed(6)),
    validate_ops_per_s: rate(o.ops, validate.seconds),
    validate_p50_us: percentileUs(validate.latencies, 0.5),
    validate_p99_us: percentileUs(validate.latencies, 0.99),
    invalid, live_sessions: liveSessions, max_sessions_per_user: maxSessionsPerUser, errors,
  }));
  process.exit(errors === 0 ? 0 : 1);  // the reference's connection is module-private
}

main().catch((e) => {
  process.stderr.write(`bench_sessions: ${e instanceof Error ? e.message : e}\n`);
  process.exit(2);
});
