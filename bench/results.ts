/**
 * What one `pnpm bench` run measured, kept as .data/bench.json (the run before as .data/bench.previous.json),
 * so `pnpm bench --compare` can print each number beside the previous run's (CPU µs per request among them); and
 * each process's memory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

export interface Measured {
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Requests completed in the measured run (absent in reports before the CPU column). */
  requests?: number;
  /** CPU µs per request of each process the target ran through, from /proc (Linux only; a process not found is left out). */
  cpuUsPerRequest?: Record<string, number>;
}

export interface BenchReport {
  at: string;
  commit: string;
  node: string;
  cpus: number;
  connections: number;
  duration: number;
  targets: Record<string, Measured>;
  ratios: Record<string, { value: number; goal: string; met: boolean }>;
  /** Each goal's CPU estimate: the floor process's CPU µs/request (`overUs`) over the Gatehouse process's (`ofUs`). */
  cpuRatios: Record<string, { value: number; goal: string; met: boolean; ofUs: number; overUs: number }>;
  rss: Record<string, { warmMb?: number; endMb?: number }>;
  startupMs: Record<string, number>;
  signIns: Record<
    string,
    {
      perSecond: number;
      mean: number;
      p50: number;
      p99: number;
      failures: number;
      completed?: number;
      cpuUsPerSignIn?: Record<string, number>;
    }
  >;
  argon2?: {
    perSecond: number;
    mean: number;
    p50: number;
    p99: number;
    params: Record<string, number>;
    /** CPU µs per verification of the bench process, where they run. */
    cpuUsPerVerify?: number;
  };
}

export function newReport(root: string, connections: number, duration: number): BenchReport {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    at: new Date().toISOString(),
    commit,
    node: process.version,
    cpus: availableParallelism(),
    connections,
    duration,
    targets: {},
    ratios: {},
    cpuRatios: {},
    rss: {},
    startupMs: {},
    signIns: {},
  };
}

/** A process's resident memory in MB: a bench child's from /proc, a Gatehouse process's from its /metrics. */
export async function residentMb(target: { port: number; pid?: number }): Promise<number | undefined> {
  try {
    if (target.pid !== undefined) {
      const status = await readFile(`/proc/${target.pid}/status`, 'utf8');
      const kib = status.match(/^VmRSS:\s+(\d+) kB/m)?.[1];
      return kib ? Number(kib) / 1024 : undefined;
    }
    const metrics = await (await fetch(`http://127.0.0.1:${target.port}/metrics`)).text();
    const bytes = metrics.match(/^process_resident_memory_bytes\S* (\d+)/m)?.[1];
    return bytes ? Number(bytes) / 1024 / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Writes this run's report; the one before becomes bench.previous.json and is returned. */
export async function saveReport(root: string, report: BenchReport): Promise<BenchReport | undefined> {
  const dir = join(root, '.data');
  const file = join(dir, 'bench.json');
  await mkdir(dir, { recursive: true });
  let previous: BenchReport | undefined;
  if (existsSync(file)) {
    previous = JSON.parse(await readFile(file, 'utf8')) as BenchReport;
    await rename(file, join(dir, 'bench.previous.json'));
  }
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return previous;
}

/** Every number of a report, by its path (`targets.<name>.rps`). */
function numbers(value: unknown, path = '', into = new Map<string, number>()): Map<string, number> {
  if (typeof value === 'number') into.set(path, value);
  else if (value && typeof value === 'object')
    for (const [key, inner] of Object.entries(value)) numbers(inner, path ? `${path}.${key}` : key, into);
  return into;
}

/** Each measured number beside the previous run's, with the change in percent. */
export function printComparison(report: BenchReport, previous: BenchReport | undefined): void {
  if (!previous) {
    console.log('\n--compare: no previous run in .data/bench.json');
    return;
  }
  console.log(`\ncompared with the run of ${previous.at} (commit ${previous.commit.slice(0, 12)})`);
  const before = numbers(previous);
  const now = numbers(report);
  // The CPU rows' paths (`targets.<target>.cpuUsPerRequest.<process>`) are the longest: the column fits them.
  const width = Math.max(72, ...[...now.keys()].map((path) => path.length));
  console.log(`  ${'number'.padEnd(width)} ${'now'.padStart(10)} ${'previous'.padStart(10)} ${'change'.padStart(8)}`);
  for (const [path, value] of now) {
    if (['cpus', 'connections', 'duration'].includes(path)) continue;
    const then = before.get(path);
    const change = then ? `${(((value - then) / then) * 100).toFixed(1)}%` : '';
    console.log(
      `  ${path.padEnd(width)} ${value.toFixed(2).padStart(10)} ${(then?.toFixed(2) ?? '—').padStart(10)} ${change.padStart(8)}`,
    );
  }
}
