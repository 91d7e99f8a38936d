import { type ActorType, newId, USER_AGENT_MAX_LENGTH } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type AuditRecordRow, chainKeyOf } from './entities.js';
import { GENESIS_HASH, recordHash } from './hash.js';

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

/** The widths of `audit_records` (Migration20261205000000_initial): longer text is cut, never refused. */
const WIDTH = {
  id: 26,
  action: 64,
  actorType: 16,
  actorId: 64,
  actorName: 200,
  targetType: 32,
  targetId: 64,
  targetName: 300,
  reason: 64,
  ip: 64,
  userAgent: USER_AGENT_MAX_LENGTH,
  requestId: 128,
} as const;
/** A string inside `changes` longer than this is cut: a record says what changed, it is not a copy of it. */
const CHANGE_TEXT_WIDTH = 2000;
/** Change fields whose values are never stored: only the fact that they changed. */
const SECRET_FIELD = /secret|password|passphrase|private_?key|token$/i;
const REDACTED = '[redacted]';

/**
 * Appends a record at the head of its log's hash chain, in the caller's transaction. The head row is locked
 * (the update) until that transaction ends, so a log's records get consecutive sequences in commit order.
 */
export async function appendRecord(em: EntityManager, draft: RecordDraft): Promise<AuditRecordRow> {
  const log = logOf(draft.log);
  const chainKey = chainKeyOf(log);
  const head = await lockHead(em, chainKey);
  const fields = recordFields(draft, log, chainKey, head.sequence);
  const hash = recordHash(head.lastHash, fields);
  const row: AuditRecordRow = {
    ...fields,
    eventId: fitOrNull(draft.eventId, WIDTH.id),
    previousHash: head.lastHash,
    hash,
  };
  await insertAndAdvance(em, row);
  return row;
}

/** A log id is a ULID-sized id: cutting one could point at another log, so one that does not fit is refused. */
function logOf(log: RecordDraft['log']): RecordDraft['log'] {
  const id = 'organizationId' in log ? log.organizationId : log.userId;
  if (!fitsId(id)) throw new Error('audit record log id does not fit its column');
  return log;
}

/** Whether an id (a log's, a person's) fits its column as it is: ids are never cut. */
export function fitsId(id: string): boolean {
  return id.length > 0 && id.length <= WIDTH.id && id === fitText(id, WIDTH.id);
}

/** The next sequence (already taken: the head is advanced and locked) and the hash of the record before it. */
async function lockHead(em: EntityManager, chainKey: string): Promise<{ sequence: number; lastHash: string }> {
  const advance = () =>
    em.execute(
      'update audit_chains set last_sequence = last_sequence + 1 where chain_key = ? returning last_sequence, last_hash',
      [chainKey],
      'all',
    ) as Promise<{ last_sequence: string | number; last_hash: string }[]>;
  let rows = await advance();
  if (rows.length === 0) {
    await em.execute(
      `insert into audit_chains (chain_key, last_sequence, last_hash, anchor_sequence, anchor_hash)
       values (?, 0, ?, 0, ?) on conflict (chain_key) do nothing`,
      [chainKey, GENESIS_HASH, GENESIS_HASH],
    );
    rows = await advance();
  }
  const [head] = rows;
  if (!head) throw new Error('audit chain head missing after insert');
  return { sequence: Number(head.last_sequence), lastHash: head.last_hash.trim() };
}

function recordFields(
  draft: RecordDraft,
  log: RecordDraft['log'],
  chainKey: string,
  sequence: number,
): Omit<AuditRecordRow, 'previousHash' | 'hash' | 'eventId'> {
  const { actor, target } = draft;
  // Like a log id, a person's id is never cut: a cut one could name someone else.
  const personId = actor.type === 'user' ? actor.id : actor.userId;
  const actorUserId = personId && fitsId(personId) ? personId : null;
  return {
    id: newId(),
    chainKey,
    sequence,
    organizationId: 'organizationId' in log ? log.organizationId : null,
    userId: 'userId' in log ? log.userId : null,
    action: fitText(draft.action, WIDTH.action),
    actorType: actor.type,
    actorId: fitText(actor.id, WIDTH.actorId),
    actorUserId,
    actorName: fitOrNull(actor.name, WIDTH.actorName),
    targetType: fitText(target.type, WIDTH.targetType),
    targetId: fitText(target.id, WIDTH.targetId),
    targetName: fitOrNull(target.name, WIDTH.targetName),
    changes: storableChanges(draft.changes),
    outcome: draft.outcome ?? 'success',
    reason: fitOrNull(draft.reason, WIDTH.reason),
    ip: fitOrNull(draft.ip, WIDTH.ip),
    userAgent: fitOrNull(draft.userAgent, WIDTH.userAgent),
    requestId: fitOrNull(draft.requestId, WIDTH.requestId),
    occurredAt: validDate(draft.occurredAt),
  };
}

async function insertAndAdvance(em: EntityManager, row: AuditRecordRow): Promise<void> {
  await em.execute(
    `with head as (update audit_chains set last_hash = ? where chain_key = ?)
     insert into audit_records (id, chain_key, sequence, organization_id, user_id, action, actor_type, actor_id,
       actor_user_id, actor_name, target_type, target_id, target_name, changes, outcome, reason, ip, user_agent,
       request_id, occurred_at, event_id, previous_hash, hash)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.hash,
      row.chainKey,
      row.id,
      row.chainKey,
      row.sequence,
      row.organizationId,
      row.userId,
      row.action,
      row.actorType,
      row.actorId,
      row.actorUserId,
      row.actorName,
      row.targetType,
      row.targetId,
      row.targetName,
      row.changes === null ? null : JSON.stringify(row.changes),
      row.outcome,
      row.reason,
      row.ip,
      row.userAgent,
      row.requestId,
      row.occurredAt,
      row.eventId,
      row.previousHash,
      row.hash,
    ],
  );
}

/**
 * Text PostgreSQL stores exactly as given, so the hash of what is read back is the hash written: no NUL (text
 * refuses it), no lone surrogate (it would come back as U+FFFD), at most `width` characters.
 */
export function fitText(value: string, width: number): string {
  let text = value.replaceAll('\u0000', '');
  if (text.length > width) {
    text = text.slice(0, width);
    // Never split a surrogate pair at the cut.
    if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1);
  }
  return text.toWellFormed();
}

function fitOrNull(value: string | null | undefined, width: number): string | null {
  return value === null || value === undefined ? null : fitText(value, width);
}

function validDate(value: Date | undefined): Date {
  return value && !Number.isNaN(value.getTime()) ? value : new Date();
}

/**
 * Changes as jsonb gives them back (plain JSON: a Date becomes its ISO string), with secret fields redacted and
 * long strings cut; none (`null`) rather than an empty object.
 */
function storableChanges(changes: RecordDraft['changes']): AuditRecordRow['changes'] {
  if (!changes) return null;
  const plain = storableJson(JSON.parse(JSON.stringify(changes))) as NonNullable<AuditRecordRow['changes']>;
  const entries = Object.entries(plain).map(([field, change]) => [field, redacted(field, change)] as const);
  return entries.length === 0 ? null : Object.fromEntries(entries);
}

function redacted(field: string, change: { before?: unknown; after?: unknown }) {
  if (!SECRET_FIELD.test(field)) return change;
  return {
    ...('before' in change && { before: REDACTED }),
    ...('after' in change && { after: REDACTED }),
  };
}

function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return fitText(value, CHANGE_TEXT_WIDTH);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [fitText(key, CHANGE_TEXT_WIDTH), storableJson(item)]),
    );
  }
  return value;
}
