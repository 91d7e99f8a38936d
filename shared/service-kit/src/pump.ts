import { withoutEventContext } from './event-context.js';
import type { Logger } from './logger.js';
import { backgroundFailures } from './process-metrics.js';

/** Exponential delays with a cap, back to the start after a success. */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly initialMs = 200,
    private readonly maxMs = 5000,
  ) {}

  /** The delay before the next attempt, growing with each failure in a row. */
  next(): number {
    const delay = Math.min(this.initialMs * 2 ** this.failures, this.maxMs);
    this.failures += 1;
    return delay;
  }

  reset(): void {
    this.failures = 0;
  }
}

export interface PumpOptions {
  /** Names the task in logs and in `background_task_failures_total{task}`. */
  name: string;
  pass: () => Promise<void>;
  logger: Logger;
  /** Pause between passes while they succeed; 0 runs them back to back (a long-poll loop). */
  intervalMs: number;
  /** Delays after failed passes (200 ms doubling to 5 s by default). */
  backoff?: Backoff;
}

/**
 * The one way the kit runs work outside a request (design rule 8, docs/architecture.md): timers, relays, sweeps and
 * consumer loops are all Pumps. A pass never runs twice at once: a kick during a pass schedules
 * exactly one more after it. A failed pass is caught, logged with its error, counted, and retried
 * after a growing delay; a success resets the delay. So a dependency outage slows a task down,
 * it never exits the process. Failures are logged once per change of reason, with a line on recovery.
 */
export class Pump {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly backoff: Backoff;
  private failures = 0;
  private lastFailure: string | null = null;

  constructor(private readonly options: PumpOptions) {
    this.backoff = options.backoff ?? new Backoff();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Ask for a pass now (coalesces with one already running; cuts a pending wait short). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    // Kicked from a request or not, a pass is background work: it runs (and schedules) outside any request's context.
    this.running = withoutEventContext(() => this.runPass()).finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops scheduling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async runPass(): Promise<void> {
    const { name, logger } = this.options;
    let delay: number;
    try {
      await this.options.pass();
      this.backoff.reset();
      if (this.failures > 0) logger.info({ task: name, failures: this.failures }, `${name} recovered`);
      this.failures = 0;
      this.lastFailure = null;
      delay = this.options.intervalMs;
    } catch (error) {
      delay = this.backoff.next();
      this.failures += 1;
      backgroundFailures.inc({ task: name });
      // Once per change, not per attempt: an outage is one line (and a recovery), not one per retry.
      const reason = failureReason(error);
      if (reason !== this.lastFailure && !this.stopped) {
        logger.warn({ err: error, task: name, retryInMs: delay }, `${name} failed; will retry with backoff`);
      }
      this.lastFailure = reason;
    }
    this.schedule(delay);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.kick(), delay);
    // Timers never keep a process alive on their own; the server or the test does.
    this.timer.unref();
  }
}

/** What a failure is, for "log once per change": its kind, code and message. */
export function failureReason(error: unknown): string {
  const { name, code, message } = (error ?? {}) as { name?: unknown; code?: unknown; message?: unknown };
  return `${String(name)}:${String(code)}:${String(message ?? error)}`;
}

/**
 * Runs one unit of work in a transaction, then kicks the relays so the events and mail it queued
 * leave now rather than on the next tick.
 */
export async function commitAndKick<T>(
  em: import('@mikro-orm/postgresql').EntityManager,
  relays: ReadonlyArray<{ kick(): void }>,
  work: (em: import('@mikro-orm/postgresql').EntityManager) => Promise<T>,
): Promise<T> {
  const result = await em.fork().transactional(work);
  for (const relay of relays) relay.kick();
  return result;
}
