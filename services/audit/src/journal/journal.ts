import type { EntityManager } from '@mikro-orm/postgresql';
import { queueRecordDeliveries } from '../endpoints/queue.js';
import { appendRecord, type RecordDraft } from '../records/append.js';
import type { AuditRecordRow } from '../records/entities.js';

/**
 * Records an action: appends it to its log's chain and, for an organization's log, queues it for the
 * organization's webhook endpoints that subscribe to it — in the caller's transaction, so a record and its
 * deliveries exist together or not at all.
 */
export async function journal(em: EntityManager, draft: RecordDraft): Promise<AuditRecordRow> {
  const record = await appendRecord(em, draft);
  if (record.organizationId !== null) await queueRecordDeliveries(em, record);
  return record;
}
