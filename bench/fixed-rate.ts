/**
 * An open-loop load generator: requests start on a fixed schedule (`rate` per second, evenly spaced) whatever the
 * answers do, and each latency is counted from when its request was due, not from when it was sent — so a slow
 * answer cannot hide the requests queued behind it (coordinated omission). autocannon's `-R` is not this: each
 * connection sends its second's quota as fast as it can and then waits: each second starts with a burst at full speed.
 *
 * Run as its own process (bench/run.ts spawns it):
 *   tsx bench/fixed-rate.ts '{"url":…,"rate":…,"seconds":…,"warmupSeconds":…,"connections":…,"method"?,"headers"?,"body"?}'
 * and prints one JSON line: { sent, completed, errors, non2xx, meanMs, p50Ms, p90Ms, p99Ms, maxMs } (latencies in ms, to
 * the microsecond).
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

interface FixedRateRun {
  url: string;
  rate: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface FixedRateReport {
  sent: number;
  completed: number;
  errors: number;
  non2xx: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The value at quantile `q` of ascending `sorted` (nearest rank). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

type Request = Parameters<Pool['request']>[0];

/** `rate` requests a second for `seconds`, each timed from its due time; what came back. */
async function schedule(pool: Pool, request: Request, rate: number, seconds: number) {
  const total = Math.floor(rate * seconds);
  const interval = 1000 / rate;
  const latencies = new Float64Array(total);
  const counts = { sent: 0, completed: 0, errors: 0, non2xx: 0 };
  const fire = (dueAt: number) =>
    pool.request(request).then(
      async (response) => {
        await response.body.dump();
        if (response.statusCode < 200 || response.statusCode > 299) counts.non2xx++;
        latencies[counts.completed++] = performance.now() - dueAt;
      },
      () => {
        counts.errors++;
      },
    );
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  await new Promise<void>((done) => {
    // A timer tick is ~1 ms; each tick starts every request whose time has come, each timed from its own due time.
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      for (; counts.sent < due; counts.sent++) inFlight.push(fire(start + counts.sent * interval));
      if (counts.sent < total) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  await Promise.all(inFlight);
  return { ...counts, latencies: latencies.subarray(0, counts.completed).sort() };
}

async function run(options: FixedRateRun): Promise<FixedRateReport> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.connections, pipelining: 1 });
  const request: Request = {
    path: `${target.pathname}${target.search}`,
    method: (options.method ?? 'GET') as Request['method'],
    headers: options.headers,
    body: options.body,
  };
  // At the same rate first, untimed: a process idle for a while answers its first second slowly (its credential
  // cache and JIT-compiled code are cold), which says nothing about the latency it adds while serving.
  await schedule(pool, request, options.rate, options.warmupSeconds);
  const { latencies, ...counts } = await schedule(pool, request, options.rate, options.seconds);
  await pool.close();
  return {
    ...counts,
    meanMs: round(latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length),
    p50Ms: round(quantile(latencies, 0.5)),
    p90Ms: round(quantile(latencies, 0.9)),
    p99Ms: round(quantile(latencies, 0.99)),
    maxMs: round(latencies[latencies.length - 1] ?? Number.NaN),
  };
}

const report = await run(JSON.parse(process.argv[2] ?? '{}') as FixedRateRun);
process.stdout.write(`${JSON.stringify(report)}\n`);
