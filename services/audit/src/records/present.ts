import type { AuditRecord } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import type { AuditRecordRow } from './entities.js';

/** A record as the API, exports and webhook payloads show it. */
export function presentRecord(row: AuditRecordRow): Static<typeof AuditRecord> {
  return {
    id: row.id,
    organizationId: row.organizationId,
    userId: row.userId,
    action: row.action,
    actor: { type: row.actorType, id: row.actorId, userId: row.actorUserId, name: row.actorName },
    target: { type: row.targetType, id: row.targetId, name: row.targetName },
    changes: row.changes,
    outcome: row.outcome,
    reason: row.reason,
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    occurredAt: row.occurredAt.toISOString(),
    sequence: row.sequence,
    previousHash: row.previousHash,
    hash: row.hash,
  };
}
