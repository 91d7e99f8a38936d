/**
 * CPU time of the processes a bench target runs through, from /proc (Linux only). On a shared machine req/s moves
 * with whatever else runs; the CPU time a process spends per request holds steady. Wherever /proc is missing or a
 * process cannot be found, every function here answers `undefined` (printed "n/a"): it never fails the bench.
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';

/** Clock ticks per second, the unit of /proc/<pid>/stat's times; read once. */
const CLOCK_TICKS_PER_SECOND = clockTicksPerSecond();

function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (ticks > 0) return ticks;
  } catch {
    // no getconf: Linux has used 100 (USER_HZ) on every common architecture
  }
  return 100;
}

/** A process's user + system CPU time so far, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
async function cpuTicks(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) is in parentheses and may hold spaces: count from after its closing one, where field 3 is.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime] = [Number(fields[14 - 3]), Number(fields[15 - 3])];
    return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
  } catch {
    return undefined;
  }
}

/** Each named process's CPU ticks so far (a process not found or without /proc: undefined). */
async function cpuTicksOf(pids: Record<string, number | undefined>): Promise<Record<string, number | undefined>> {
  const entries = await Promise.all(
    Object.entries(pids).map(async ([name, pid]) => [name, pid === undefined ? undefined : await cpuTicks(pid)]),
  );
  return Object.fromEntries(entries);
}

/** Each process's CPU µs per unit between two `cpuTicksOf` snapshots; a process without both is left out. */
function cpuMicrosPerUnit(
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
  units: number,
): Record<string, number> {
  const perUnit: Record<string, number> = {};
  for (const [name, ticksAfter] of Object.entries(after)) {
    const ticksBefore = before[name];
    if (ticksAfter === undefined || ticksBefore === undefined || units <= 0) continue;
    perUnit[name] = Math.round((((ticksAfter - ticksBefore) / CLOCK_TICKS_PER_SECOND) * 1e6) / units);
  }
  return perUnit;
}

/**
 * The pid of the process listening on a local TCP port: its socket's inode from /proc/net/tcp(6), then the process
 * holding that inode among /proc/<pid>/fd. For the processes `infra/local/start.ts` starts, whose pids the bench
 * does not get. Processes of other users cannot be read and are skipped.
 */
export async function pidListeningOn(port: number): Promise<number | undefined> {
  const inodes = await listeningSocketInodes(port);
  if (inodes.size === 0) return undefined;
  const pids = (await readdir('/proc').catch(() => [])).filter((entry) => /^\d+$/.test(entry));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (inodes.has(link)) return Number(pid);
    }
  }
  return undefined;
}

/** `socket:[<inode>]` of every socket listening on `port` (IPv4 and IPv6), as /proc/<pid>/fd links name them. */
async function listeningSocketInodes(port: number): Promise<Set<string>> {
  const LISTEN = '0A';
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const columns = line.trim().split(/\s+/);
      const localPort = Number.parseInt(columns[1]?.split(':')[1] ?? '', 16);
      if (localPort === port && columns[3] === LISTEN && columns[9]) inodes.add(`socket:[${columns[9]}]`);
    }
  }
  return inodes;
}

/**
 * Runs `measure` with the CPU time of each process in `pids` (by name) read just before and after it, and answers
 * its result with each process's CPU µs per unit of work done (`completed` of the result: requests, sign-ins).
 */
export async function withCpuPerUnit<T>(
  pids: Record<string, number | undefined>,
  measure: () => Promise<T>,
  completed: (result: T) => number,
): Promise<{ result: T; cpuUsPerUnit: Record<string, number> }> {
  const before = await cpuTicksOf(pids);
  const result = await measure();
  const after = await cpuTicksOf(pids);
  return { result, cpuUsPerUnit: cpuMicrosPerUnit(before, after, completed(result)) };
}
