import type { AuditRecordRow } from './entities.js';

/** A raw `audit_records` row (snake_case, bigint as string) as the record the code works with. */
export function rowOf(raw: Record<string, unknown>): AuditRecordRow {
  return {
    id: raw.id as string,
    chainKey: raw.chain_key as string,
    sequence: Number(raw.sequence),
    organizationId: (raw.organization_id as string | null) ?? null,
    userId: (raw.user_id as string | null) ?? null,
    action: raw.action as string,
    actorType: raw.actor_type as AuditRecordRow['actorType'],
    actorId: raw.actor_id as string,
    actorUserId: (raw.actor_user_id as string | null) ?? null,
    actorName: (raw.actor_name as string | null) ?? null,
    targetType: raw.target_type as string,
    targetId: raw.target_id as string,
    targetName: (raw.target_name as string | null) ?? null,
    changes: (raw.changes as AuditRecordRow['changes']) ?? null,
    outcome: raw.outcome as AuditRecordRow['outcome'],
    reason: (raw.reason as string | null) ?? null,
    ip: (raw.ip as string | null) ?? null,
    userAgent: (raw.user_agent as string | null) ?? null,
    requestId: (raw.request_id as string | null) ?? null,
    occurredAt: raw.occurred_at instanceof Date ? raw.occurred_at : new Date(raw.occurred_at as string),
    eventId: (raw.event_id as string | null) ?? null,
    previousHash: (raw.previous_hash as string).trim(),
    hash: (raw.hash as string).trim(),
  };
}
