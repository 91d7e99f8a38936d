import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from './logger.js';
import { Pump } from './pump.js';

/** A table's rows that may go, as a `delete … where` clause. */
export interface RetentionRule {
  table: string;
  /** SQL condition on the row, e.g. `published_at < now() - interval '7 days'`. */
  expired: string;
}

/**
 * Rows kept by the kit itself. Published events stay past the stream's 10-minute dedupe window,
 * and consumer receipts as long as JetStream keeps the events they guard (7 days) plus a margin.
 */
export const KIT_RETENTION: RetentionRule[] = [
  { table: 'outbox_events', expired: "published_at < now() - interval '7 days'" },
  { table: 'processed_events', expired: "processed_at < now() - interval '8 days'" },
];

export const MAIL_RETENTION: RetentionRule[] = [
  { table: 'mail_outbox', expired: "sent_at < now() - interval '7 days'" },
];

/**
 * Deletes expired rows hourly in small batches, so a long-running service's tables do not grow
 * without bound and no sweep holds locks for long.
 */
export class RetentionSweeper {
  private readonly pump: Pump;

  constructor(
    private readonly em: EntityManager,
    private readonly rules: RetentionRule[],
    logger: Logger,
    intervalMs = 3_600_000,
  ) {
    this.pump = new Pump({
      name: 'retention-sweep',
      pass: async () => {
        await this.sweep();
      },
      logger,
      intervalMs,
    });
  }

  start(): void {
    this.pump.start();
  }

  stop(): Promise<void> {
    return this.pump.stop();
  }

  /** One pass over every rule; returns how many rows each table lost. */
  async sweep(batch = 5000): Promise<Record<string, number>> {
    const removed: Record<string, number> = {};
    for (const rule of this.rules) {
      removed[rule.table] = 0;
      for (;;) {
        const rows: unknown[] = await this.em
          .fork()
          .execute(
            `delete from ${rule.table} where ctid in (select ctid from ${rule.table} where ${rule.expired} limit ${batch}) returning 1`,
          );
        removed[rule.table] = (removed[rule.table] ?? 0) + rows.length;
        if (rows.length < batch) break;
      }
    }
    return removed;
  }
}
