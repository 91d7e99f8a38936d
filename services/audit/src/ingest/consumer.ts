import { DurableConsumer } from '@gatehouse/service-kit';
import type { AuditContext } from '../context.js';
import { ingestHandlers } from './handlers.js';

/** Events ingested per transaction (measured by `BENCH_ONLY=audit pnpm bench`). */
const INGEST_GROUP_SIZE = 50;

/**
 * Every event into the audit log: one durable, so records are made in stream order, each event's records and
 * read-model changes in the one transaction that also marks it processed (exactly once).
 */
export function ingestConsumers(ctx: AuditContext): DurableConsumer[] {
  return [
    new DurableConsumer({
      messaging: ctx.deps.messaging,
      em: ctx.deps.orm.em,
      logger: ctx.deps.logger,
      durable: 'audit-records',
      filter: 'events.>',
      handlers: ingestHandlers(ctx.deps.logger),
      // Records of an organization's log may have queued webhook deliveries.
      afterCommit: () => ctx.kickDeliveries(),
      // Every event of the system comes here: up to 50 in one transaction (still in stream order).
      groupSize: INGEST_GROUP_SIZE,
    }),
  ];
}
