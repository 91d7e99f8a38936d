import { type ListMeta, validationError } from '@gatehouse/contracts';
import type { EntityManager, EntitySchema, FilterQuery, QueryOrder, QueryOrderMap } from '@mikro-orm/postgresql';

export interface PageRequest {
  offset: number;
  limit: number;
  sort?: string;
  cursor?: string;
}

export interface PageOptions {
  /** Sortable fields and how their values travel in a cursor. */
  sortable: Record<string, 'string' | 'date'>;
  /** e.g. '-createdAt' */
  defaultSort: string;
}

interface CursorPayload {
  s: string;
  v: string;
  id: string;
}

function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** A cursor is client input: its value must be one this list could have encoded, or the query would fail. */
function decodeCursor(cursor: string, sort: string, kind: 'string' | 'date'): CursorPayload {
  try {
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPayload;
    if (
      payload.s === sort &&
      typeof payload.v === 'string' &&
      typeof payload.id === 'string' &&
      storable(payload.v) &&
      storable(payload.id) &&
      (kind === 'string' || isEncodedDate(payload.v))
    ) {
      return payload;
    }
  } catch {
    // fall through to the validation error
  }
  throw validationError([{ field: 'cursor', error: 'is not a cursor of this list and sort', location: 'query' }]);
}

const storable = (text: string) => !text.includes('\u0000');

/** Exactly what toISOString wrote for a year PostgreSQL can hold (0000–9999). */
function isEncodedDate(text: string): boolean {
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && /^\d{4}-/.test(text) && date.toISOString() === text;
}

/** Escapes LIKE wildcards so `q` matches literally. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/**
 * One page of a collection, by offset or by keyset cursor (sort field, then id as the
 * tie-breaker). The cursor walk is stable under concurrent inserts and costs O(page) with
 * an index on (scope…, sort field, id).
 */
export async function findPage<T extends { id: string }>(
  em: EntityManager,
  entity: EntitySchema<T>,
  where: FilterQuery<T>,
  request: PageRequest,
  options: PageOptions,
): Promise<{ items: T[]; meta: ListMeta }> {
  const sort = request.sort ?? options.defaultSort;
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  const kind = options.sortable[field];
  if (!kind) throw validationError([{ field: 'sort', error: 'is not a sortable field', location: 'query' }]);
  const direction = (descending ? 'desc' : 'asc') as QueryOrder;
  const orderBy = { [field]: direction, id: direction } as QueryOrderMap<T>;

  let filter: FilterQuery<T> = where;
  if (request.cursor) {
    const after = decodeCursor(request.cursor, sort, kind);
    const value = kind === 'date' ? new Date(after.v) : after.v;
    const op = descending ? '$lt' : '$gt';
    const bound = descending ? '$lte' : '$gte';
    // Keyset: strictly after (value, id) in sort order. The redundant range on the sort field is
    // what lets PostgreSQL start the index scan at the cursor instead of filtering from the top.
    filter = {
      $and: [
        where,
        { [field]: { [bound]: value } },
        { $or: [{ [field]: { [op]: value } }, { [field]: value, id: { [op]: after.id } }] },
      ],
    } as FilterQuery<T>;
  }
  const offset = request.cursor ? 0 : request.offset;
  const rows = await em.find(entity, filter, { orderBy, limit: request.limit + 1, offset });
  const hasMore = rows.length > request.limit;
  const items = hasMore ? rows.slice(0, request.limit) : rows;
  const last = items.at(-1);
  const lastValue = last ? (last as Record<string, unknown>)[field] : undefined;
  const nextCursor =
    hasMore && last
      ? encodeCursor({
          s: sort,
          v: lastValue instanceof Date ? lastValue.toISOString() : String(lastValue),
          id: last.id,
        })
      : null;
  const meta: ListMeta = { offset, limit: request.limit, hasMore, nextCursor };
  if (!request.cursor) meta.total = await em.count(entity, where);
  return { items, meta };
}
