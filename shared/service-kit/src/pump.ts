/**
 * Runs one background pass on a timer and on demand, never two at once: a kick during a pass
 * schedules exactly one more pass after it. The outbox and mail relays run on this, so a commit
 * can ask for immediate delivery while a timer still covers anything a kick missed.
 */
export class Pump {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Ask for a pass now (coalesces with one already running). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch(this.onError)
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
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
