import { createHash } from 'node:crypto';
import type { AuditRecordRow } from './entities.js';

/** The `previousHash` of a log's first record. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 (hex) of `previousHash`, a newline, and the record's fields as a JSON array in this order (objects
 * with their keys sorted, the time as toISOString writes it). docs/audit-logs.md shows it in Node and Python,
 * so a customer can check an export without us. Changing this breaks every stored chain: extend by version.
 */
export function recordHash(
  previousHash: string,
  record: Omit<AuditRecordRow, 'previousHash' | 'hash' | 'eventId'>,
): string {
  const fields = [
    record.chainKey,
    record.sequence,
    record.id,
    record.organizationId,
    record.userId,
    record.action,
    record.actorType,
    record.actorId,
    record.actorUserId,
    record.actorName,
    record.targetType,
    record.targetId,
    record.targetName,
    record.changes,
    record.outcome,
    record.reason,
    record.ip,
    record.userAgent,
    record.requestId,
    record.occurredAt.toISOString(),
  ];
  return createHash('sha256')
    .update(`${previousHash}\n${canonicalJson(fields)}`, 'utf8')
    .digest('hex');
}

/** JSON with every object's keys sorted (jsonb does not keep the order they were written in). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
