import type { EntityManager } from '@mikro-orm/postgresql';
import { ApiKeySchema } from './entities.js';

/**
 * Key use is noted in memory and written at most once per key every few seconds, so the
 * hot path never writes to the database per request.
 */
export class LastUsedTracker {
  private pending = new Map<string, Date>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly em: EntityManager,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  note(keyId: string): void {
    this.pending.set(keyId, new Date());
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const em = this.em.fork();
    for (const [id, at] of batch) {
      await em.nativeUpdate(
        ApiKeySchema,
        { id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: at } }] },
        { lastUsedAt: at },
      );
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
