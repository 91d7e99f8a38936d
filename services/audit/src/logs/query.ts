import { isUlid, type ListMeta, validationError } from '@gatehouse/contracts';
import { likePattern } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type AuditRecordRow, RECORD_COLUMNS } from '../records/entities.js';
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

/** The log a reader may see (an organization's, maybe only their own actions in it, or an account's). */
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
  if ('userId' in log) add('user_id = ?', log.userId);
  else {
    add('organization_id = ?', log.organizationId);
    if (log.actorUserId !== undefined) add('actor_user_id = ?', log.actorUserId);
  }
  if (filters.action?.endsWith('.*')) add('action like ?', `${escapeLike(filters.action.slice(0, -1))}%`);
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

/** `member.` of `member.*`: `_` is a LIKE wildcard too, so it is escaped to match only itself. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** Only the filters a request set, as the export's record names them. */
export function filtersOf(query: LogFilters): LogFilters {
  const keys = ['action', 'actorId', 'targetId', 'since', 'until', 'q'] as const;
  return Object.fromEntries(keys.filter((key) => query[key] !== undefined).map((key) => [key, query[key]]));
}

/** A cursor is the last id a page showed, opaque to the reader. */
export function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ id })).toString('base64url');
}

/** A cursor is client input: it must be one this list wrote, or 400 naming it. */
export function decodeCursor(cursor: string): string {
  try {
    const { id } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown };
    if (typeof id === 'string' && isUlid(id)) return id;
  } catch {
    // fall through to the validation error
  }
  throw validationError([{ field: 'cursor', error: 'is not a cursor of this list', location: 'query' }]);
}

/**
 * One page, newest first, by keyset on id (ULIDs sort by ingest time, so a walk is stable while the log grows
 * at its head). No total: counting a log of millions for every page is what the cursor avoids.
 */
export async function findLogPage(
  em: EntityManager,
  scope: LogScope,
  page: { limit: number; cursor?: string },
): Promise<{ items: AuditRecordRow[]; meta: ListMeta }> {
  const before = page.cursor ? decodeCursor(page.cursor) : null;
  const keyset = before ? ' and id < ?' : '';
  const raw: Record<string, unknown>[] = await em.execute(
    `select ${RECORD_COLUMNS} from audit_records where ${scope.sql}${keyset} order by id desc limit ?`,
    [...scope.params, ...(before ? [before] : []), page.limit + 1],
  );
  const hasMore = raw.length > page.limit;
  const items = raw.slice(0, page.limit).map(rowOf);
  const last = items.at(-1);
  const nextCursor = hasMore && last ? encodeCursor(last.id) : null;
  return { items, meta: { offset: 0, limit: page.limit, hasMore, nextCursor } };
}

/** Rows oldest first, in batches read each on a fresh EntityManager (nothing accumulates in an identity map). */
export async function* scanLog(
  fork: () => EntityManager,
  scope: LogScope,
  batchSize: number,
): AsyncGenerator<AuditRecordRow[]> {
  let after = '';
  for (;;) {
    const raw: Record<string, unknown>[] = await fork().execute(
      `select ${RECORD_COLUMNS} from audit_records where ${scope.sql} and id > ? order by id asc limit ?`,
      [...scope.params, after, batchSize],
    );
    if (raw.length > 0) yield raw.map(rowOf);
    if (raw.length < batchSize) return;
    after = raw.at(-1)!.id as string;
  }
}
