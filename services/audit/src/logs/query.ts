import { type ListMeta, validationError } from '@gatehouse/contracts';
import { likePattern, likePrefix } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type AuditRecordRow, chainKeyOf, RECORD_COLUMNS } from '../records/entities.js';
import { rowOf } from '../records/rows.js';

/** The filters the list and the export share (contracts: AUDIT_ROUTES). */
export interface LogFilters {
  action?: string;
  actorId?: string;
  targetId?: string;
  since?: string;
  until?: string;
  q?: string;
}

/** A SQL condition over `audit_records`: every fragment is the code's own, values travel as `?` parameters. */
export interface LogScope {
  sql: string;
  params: unknown[];
}

/** Columns `q` matches, case-insensitively, wildcards literal. */
const SEARCHED = ['action', 'actor_name', 'actor_id', 'target_name', 'target_id', 'ip', 'request_id'];

/**
 * The log a reader may see (an organization's, maybe only their own actions in it, or an account's), always
 * narrowed to its chain first: the indexes lead with (chain_key, <filter column>, sequence).
 */
export function logScope(
  log: { organizationId: string; actorUserId?: string } | { userId: string },
  filters: LogFilters,
): LogScope {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    conditions.push(sql);
    params.push(...values);
  };
  add('chain_key = ?', chainKeyOf(log));
  if ('organizationId' in log && log.actorUserId !== undefined) add('actor_user_id = ?', log.actorUserId);
  if (filters.action?.endsWith('.*')) add('action like ?', likePrefix(filters.action.slice(0, -1)));
  else if (filters.action) add('action = ?', filters.action);
  if (filters.actorId) add('(actor_id = ? or actor_user_id = ?)', filters.actorId, filters.actorId);
  if (filters.targetId) add('target_id = ?', filters.targetId);
  if (filters.since) add('occurred_at >= ?', new Date(filters.since));
  if (filters.until) add('occurred_at < ?', new Date(filters.until));
  if (filters.q) {
    const pattern = likePattern(filters.q);
    add(`(${SEARCHED.map((column) => `${column} ilike ?`).join(' or ')})`, ...SEARCHED.map(() => pattern));
  }
  return { sql: conditions.join(' and '), params };
}

/** Only the filters a request set, as the export's record names them. */
export function filtersOf(query: LogFilters): LogFilters {
  const keys = ['action', 'actorId', 'targetId', 'since', 'until', 'q'] as const;
  return Object.fromEntries(keys.filter((key) => query[key] !== undefined).map((key) => [key, query[key]]));
}

/** A cursor is the last sequence a page showed, opaque to the reader. */
export function encodeCursor(sequence: number): string {
  return Buffer.from(JSON.stringify({ sequence })).toString('base64url');
}

/** A cursor is client input: it must be one this list wrote, or 400 naming it. */
export function decodeCursor(cursor: string): number {
  try {
    const { sequence } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { sequence?: unknown };
    if (typeof sequence === 'number' && Number.isSafeInteger(sequence) && sequence > 0) return sequence;
  } catch {
    // fall through to the validation error
  }
  throw validationError([{ field: 'cursor', error: 'is not a cursor of this list', location: 'query' }]);
}

/**
 * One page, newest first, by keyset on the chain's sequence: the order records were appended in, whichever
 * replica (and clock) wrote them, so a walk is stable while the log grows at its head. No total: counting a log
 * of millions for every page is what the cursor avoids.
 */
export async function findLogPage(
  em: EntityManager,
  scope: LogScope,
  page: { limit: number; cursor?: string },
): Promise<{ items: AuditRecordRow[]; meta: ListMeta }> {
  const before = page.cursor ? decodeCursor(page.cursor) : null;
  const keyset = before === null ? '' : ' and sequence < ?';
  const raw: Record<string, unknown>[] = await em.execute(
    `select ${RECORD_COLUMNS} from audit_records where ${scope.sql}${keyset} order by sequence desc limit ?`,
    [...scope.params, ...(before === null ? [] : [before]), page.limit + 1],
  );
  const hasMore = raw.length > page.limit;
  const items = raw.slice(0, page.limit).map(rowOf);
  const last = items.at(-1);
  const nextCursor = hasMore && last ? encodeCursor(last.sequence) : null;
  return { items, meta: { offset: 0, limit: page.limit, hasMore, nextCursor } };
}

/**
 * Rows oldest first (by sequence), in batches read each on a fresh EntityManager (nothing accumulates in an
 * identity map).
 */
export async function* scanLog(
  fork: () => EntityManager,
  scope: LogScope,
  batchSize: number,
): AsyncGenerator<AuditRecordRow[]> {
  let after = 0;
  for (;;) {
    const raw: Record<string, unknown>[] = await fork().execute(
      `select ${RECORD_COLUMNS} from audit_records where ${scope.sql} and sequence > ? order by sequence asc limit ?`,
      [...scope.params, after, batchSize],
    );
    const rows = raw.map(rowOf);
    if (rows.length > 0) yield rows;
    if (rows.length < batchSize) return;
    after = rows.at(-1)!.sequence;
  }
}
