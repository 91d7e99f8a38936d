import type { EntityManager } from '@mikro-orm/postgresql';
import type { RecordDraft } from '../records/append.js';
import type { AuditRecordRow } from '../records/entities.js';

/**
 * Records an action: appends it to its log's chain and, for an organization's log, queues it for the
 * organization's webhook endpoints that subscribe to it — in the caller's transaction (WP1 builds it).
 */
export async function journal(_em: EntityManager, _draft: RecordDraft): Promise<AuditRecordRow> {
  throw new Error('journal is not built yet');
}
