/**
 * What one `pnpm bench` run measured, kept as .data/bench.json (the run before as .data/bench.previous.json),
 * so `pnpm bench --compare` can print each number beside the previous run's; and each process's memory.
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
  rss: Record<string, { warmMb?: number; endMb?: number }>;
  startupMs: Record<string, number>;
  signIns: Record<string, { perSecond: number; mean: number; p50: number; p99: number; failures: number }>;
  argon2?: { perSecond: number; mean: number; p50: number; p99: number; params: Record<string, number> };
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
  console.log(`  ${'number'.padEnd(72)} ${'now'.padStart(10)} ${'previous'.padStart(10)} ${'change'.padStart(8)}`);
  const before = numbers(previous);
  for (const [path, now] of numbers(report)) {
    if (['cpus', 'connections', 'duration'].includes(path)) continue;
    const then = before.get(path);
    const change = then ? `${(((now - then) / then) * 100).toFixed(1)}%` : '';
    console.log(
      `  ${path.padEnd(72)} ${now.toFixed(2).padStart(10)} ${(then?.toFixed(2) ?? '—').padStart(10)} ${change.padStart(8)}`,
    );
  }
}
