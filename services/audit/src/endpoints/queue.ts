import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditRecordRow } from '../records/entities.js';

/**
 * Queues an organization record for every enabled endpoint of the organization subscribed to its action, in the
 * caller's transaction; answers how many deliveries it queued (WP3 builds it).
 */
export async function queueRecordDeliveries(_em: EntityManager, _record: AuditRecordRow): Promise<number> {
  return 0;
}
