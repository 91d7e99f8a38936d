import { DurableConsumer } from '@gatehouse/service-kit';
import type { AuditContext } from '../context.js';
import { ingestHandlers } from './handlers.js';

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
    }),
  ];
}
