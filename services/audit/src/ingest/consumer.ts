import type { DurableConsumer } from '@gatehouse/service-kit';
import type { AuditContext } from '../context.js';

/** Every event into the audit log (WP1 builds it). */
export function ingestConsumers(_ctx: AuditContext): DurableConsumer[] {
  return [];
}
