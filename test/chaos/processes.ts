/**
 * The four Gatehouse processes, each started separately as `pnpm start` starts them
 * (infra/local/start.ts), and kept running the way an orchestrator would: a process that exits
 * on its own is counted as a crash and restarted with backoff; one the harness stops stays down
 * until the harness restores it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export type ProcessName = 'gateway' | 'identity' | 'organization' | 'project';

export interface ExitRecord {
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The harness caused it (a fault); otherwise it is a crash. */
  expected: boolean;
}

const RESTART_BACKOFF_MS = [500, 1000, 2000, 4000];
/** A process that stayed up this long is healthy again: its next crash restarts at the shortest backoff. */
const STABLE_MS = 10_000;
const EXIT_WAIT_MS = 15_000;

export class ManagedProcess {
  private child: ChildProcess | null = null;
  private log: WriteStream;
  private held = false;
  private closing = false;
  private expecting = false;
  private startedAt = 0;
  private backoff = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private closed: Promise<void> | null = null;
  readonly exits: ExitRecord[] = [];

  constructor(
    readonly name: ProcessName,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    readonly url: string,
    private readonly root: string,
    logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
    this.log = createWriteStream(join(logDir, `${name}.log`), { flags: 'w' });
  }

  get running(): boolean {
    return this.child !== null;
  }

  start(): void {
    if (this.child || this.closing) return;
    this.held = false;
    this.log.write(`--- start ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(this.root, this.entry)], {
      cwd: this.root,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
    this.startedAt = Date.now();
    child.once('exit', (code, signal) => this.exited(child, code, signal));
  }

  private exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = null;
    const expected = this.expecting || this.closing;
    this.expecting = false;
    this.exits.push({ at: Date.now(), code, signal, expected });
    this.log.write(`--- exit code=${code} signal=${signal} ${expected ? '(by the harness)' : '(CRASH)'}\n`);
    if (expected || this.held || this.closing) return;
    if (Date.now() - this.startedAt > STABLE_MS) this.backoff = 0;
    const delay = RESTART_BACKOFF_MS[Math.min(this.backoff, RESTART_BACKOFF_MS.length - 1)]!;
    this.backoff += 1;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.held) this.start();
    }, delay);
  }

  /** Sends the signal and keeps the process down until `restore()`; resolves once it has exited. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    this.held = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child) return;
    this.expecting = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WAIT_MS);
    await exited;
    clearTimeout(timer);
  }

  restore(): void {
    this.backoff = 0;
    this.start();
  }

  crashesSince(since: number): ExitRecord[] {
    return this.exits.filter((exit) => !exit.expected && exit.at >= since);
  }

  /** Cleanup (once, however often asked): SIGTERM, then SIGKILL if it lingers. */
  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise((resolve) => this.log.end(resolve));
  }
}

/** Polls a readiness URL until it answers 2xx (bounded). */
export async function waitReady(url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} was not ready within ${timeoutMs / 1000}s`);
}
