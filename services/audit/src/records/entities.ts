import type { ActorType } from '@gatehouse/contracts';

/** One row of `audit_records`, as SQL returns it (snake_case columns mapped by `rowOf` in records/rows.ts). */
export interface AuditRecordRow {
  id: string;
  chainKey: string;
  sequence: number;
  organizationId: string | null;
  userId: string | null;
  action: string;
  actorType: ActorType;
  actorId: string;
  actorUserId: string | null;
  actorName: string | null;
  targetType: string;
  targetId: string;
  targetName: string | null;
  changes: Record<string, { before?: unknown; after?: unknown }> | null;
  outcome: 'success' | 'failure';
  reason: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  occurredAt: Date;
  eventId: string | null;
  previousHash: string;
  hash: string;
}

/** The columns of `audit_records` in the order `select` lists them, for hand-written SQL. */
export const RECORD_COLUMNS = `id, chain_key, sequence, organization_id, user_id, action, actor_type, actor_id,
  actor_user_id, actor_name, target_type, target_id, target_name, changes, outcome, reason, ip, user_agent,
  request_id, occurred_at, event_id, previous_hash, hash`;

/** A log's chain key: an organization's, or an account's. */
export function chainKeyOf(log: { organizationId: string } | { userId: string }): string {
  return 'organizationId' in log ? `org:${log.organizationId}` : `user:${log.userId}`;
}
