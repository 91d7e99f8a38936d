import type { ActorType } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditRecordRow } from './entities.js';

/** A record before it has a place in its log's chain. */
export interface RecordDraft {
  /** The log: an organization's, or an account's. */
  log: { organizationId: string } | { userId: string };
  action: string;
  actor: { type: ActorType; id: string; userId?: string | null; name?: string | null };
  target: { type: string; id: string; name?: string | null };
  changes?: Record<string, { before?: unknown; after?: unknown }> | null;
  outcome?: 'success' | 'failure';
  reason?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
  occurredAt?: Date;
  /** The event it was made from (none for what the audit service records itself). */
  eventId?: string | null;
}

/** Appends a record at the head of its log's hash chain, in the caller's transaction (WP1 builds it). */
export async function appendRecord(_em: EntityManager, _draft: RecordDraft): Promise<AuditRecordRow> {
  throw new Error('appendRecord is not built yet');
}
