import { type Logger, Pump } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKeySchema } from './entities.js';

/**
 * Key use is noted in memory and written at most once per key every few seconds, so the
 * hot path never writes to the database per request. The writes run on the kit's Pump: a
 * database outage fails a pass, which is logged, counted and retried with backoff, and the
 * notes it could not write stay pending for the next pass.
 */
export class LastUsedTracker {
  private pending = new Map<string, Date>();
  private readonly pump: Pump;

  constructor(
    private readonly em: EntityManager,
    private readonly logger: Logger,
    intervalMs = 5000,
  ) {
    this.pump = new Pump({ name: 'api-key-last-used', pass: () => this.flush(), logger, intervalMs });
  }

  start(): void {
    this.pump.start();
  }

  note(keyId: string): void {
    this.pending.set(keyId, new Date());
  }

  /** Writes the pending notes; on failure the unwritten ones go back, merged with newer notes. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const em = this.em.fork();
    for (const [id, at] of batch) {
      try {
        await em.nativeUpdate(
          ApiKeySchema,
          { id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: at } }] },
          { lastUsedAt: at },
        );
        batch.delete(id);
      } catch (error) {
        this.keep(batch);
        throw error;
      }
    }
  }

  async stop(): Promise<void> {
    await this.pump.stop();
    await this.flush().catch((error: unknown) =>
      this.logger.warn({ err: error, pending: this.pending.size }, 'last-used notes not written at shutdown'),
    );
  }

  /** Puts unwritten notes back; a note taken since is newer and wins. */
  private keep(unwritten: Map<string, Date>): void {
    for (const [id, at] of unwritten) {
      const newer = this.pending.get(id);
      if (!newer || newer < at) this.pending.set(id, at);
    }
  }
}
