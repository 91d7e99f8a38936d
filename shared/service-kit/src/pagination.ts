import { type ListMeta, validationError } from '@gatehouse/contracts';
import type { EntityManager, EntitySchema, FilterQuery, QueryOrder, QueryOrderMap } from '@mikro-orm/postgresql';
import { queryRows } from './db.js';

/** The list query as validated by the list's `listQuerySchema` (contracts). */
export interface PageRequest {
  offset: number;
  limit: number;
  sort?: string;
  cursor?: string;
  q?: string;
}

/** How a sort field's values travel in a cursor. */
export type SortKind = 'string' | 'date';

export interface PageOptions {
  /** Sortable fields and how their values travel in a cursor. */
  sortable: Record<string, SortKind>;
  /** e.g. '-createdAt' */
  defaultSort: string;
  /**
   * Fields `q` matches (case-insensitive substring, wildcards literal). Without it the list has no
   * search of its own: its schema refuses `q`, or the caller filters by `q` in `where`.
   */
  search?: readonly string[];
}

export interface Page<T> {
  items: T[];
  meta: ListMeta;
}

interface CursorPayload {
  s: string;
  /** The sort value of the last row; null for a row without one (a nullable field). */
  v: string | null;
  id: string;
}

function encodeCursor(payload: CursorPayload): string {
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** A cursor is client input: its value must be one this list could have encoded, or the query would fail. */
function decodeCursor(cursor: string, sort: string, kind: SortKind, nullable: boolean): CursorPayload {
  try {
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPayload;
    if (
      payload.s === sort &&
      typeof payload.id === 'string' &&
      storable(payload.id) &&
      (payload.v === null
        ? nullable
        : typeof payload.v === 'string' && storable(payload.v) && (kind === 'string' || isEncodedDate(payload.v)))
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

/** LIKE's wildcards (and its escape) in text, escaped so they match themselves. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** Escapes LIKE wildcards so `q` matches literally. */
export function likePattern(q: string): string {
  return `%${escapeLike(q)}%`;
}

/** A prefix match (`member.` → `member.%`), wildcards literal: a btree with a pattern operator class serves it. */
export function likePrefix(prefix: string): string {
  return `${escapeLike(prefix)}%`;
}

/** One page's order and position, read from the request; both list variants share it. */
interface PagePlan {
  sort: string;
  field: string;
  kind: SortKind;
  /** PostgreSQL's order puts nulls last ascending and first descending; the keyset follows it. */
  nullable: boolean;
  descending: boolean;
  /** Strictly after this (sort value, id) when walking by cursor. */
  after: { value: string | Date | null; id: string } | null;
  offset: number;
  limit: number;
}

function planPage(
  request: PageRequest,
  fields: Record<string, { kind: SortKind; nullable: boolean }>,
  defaultSort: string,
): PagePlan {
  const sort = request.sort ?? defaultSort;
  const descending = sort.startsWith('-');
  const field = descending ? sort.slice(1) : sort;
  const sortable = Object.hasOwn(fields, field) ? fields[field] : undefined;
  if (!sortable) throw validationError([{ field: 'sort', error: 'is not a sortable field', location: 'query' }]);
  const { kind, nullable } = sortable;
  let after: PagePlan['after'] = null;
  if (request.cursor) {
    const { v, id } = decodeCursor(request.cursor, sort, kind, nullable);
    after = { value: v !== null && kind === 'date' ? new Date(v) : v, id };
  }
  const offset = after ? 0 : request.offset;
  return { sort, field, kind, nullable, descending, after, offset, limit: request.limit };
}

/** Trims the look-ahead row and writes the meta; `total` is the caller's (offset pages only). */
function finishPage<T extends { id: string }>(rows: T[], plan: PagePlan, sortValue: (row: T) => unknown): Page<T> {
  const hasMore = rows.length > plan.limit;
  const items = hasMore ? rows.slice(0, plan.limit) : rows;
  const last = items.at(-1);
  let nextCursor: string | null = null;
  if (hasMore && last) {
    const value = sortValue(last);
    // Raw SQL reads timestamps as text; either way the cursor holds toISOString's form.
    const encoded =
      value === null || value === undefined
        ? null
        : plan.kind === 'date'
          ? new Date(value as Date | string).toISOString()
          : String(value);
    nextCursor = encodeCursor({ s: plan.sort, v: encoded, id: last.id });
  }
  return { items, meta: { offset: plan.offset, limit: plan.limit, hasMore, nextCursor } };
}

function isNullable<T>(entity: EntitySchema<T>, property: string): boolean {
  const properties = entity.meta.properties as Record<string, { nullable?: boolean } | undefined>;
  return properties[property]?.nullable === true;
}

/**
 * One page of an entity's rows, by offset or by keyset cursor (sort field, then id as the
 * tie-breaker). The cursor walk is stable under concurrent inserts and costs O(page) with
 * an index on (scope…, sort field, id).
 */
export async function findPage<T extends { id: string }>(
  em: EntityManager,
  entity: EntitySchema<T>,
  where: FilterQuery<T>,
  request: PageRequest,
  options: PageOptions,
): Promise<Page<T>> {
  const fields = Object.fromEntries(
    Object.entries(options.sortable).map(([name, kind]) => [name, { kind, nullable: isNullable(entity, name) }]),
  );
  const plan = planPage(request, fields, options.defaultSort);
  const { field } = plan;
  const direction = (plan.descending ? 'desc' : 'asc') as QueryOrder;
  const orderBy = { [field]: direction, id: direction } as QueryOrderMap<T>;

  const scope: FilterQuery<T>[] = [where];
  if (options.search && request.q) {
    const pattern = likePattern(request.q);
    scope.push({ $or: options.search.map((name) => ({ [name]: { $ilike: pattern } })) } as FilterQuery<T>);
  }
  const listed = (scope.length === 1 ? where : { $and: scope }) as FilterQuery<T>;

  const filter = plan.after ? ({ $and: [listed, entityKeyset(plan, plan.after)] } as FilterQuery<T>) : listed;
  const rows = await em.find(entity, filter, { orderBy, limit: plan.limit + 1, offset: plan.offset });
  const page = finishPage(rows, plan, (row) => (row as Record<string, unknown>)[field]);
  if (!plan.after) page.meta.total = await em.count(entity, listed);
  return page;
}

/**
 * Keyset: strictly after (value, id) in sort order. The redundant range on the sort field is what
 * lets PostgreSQL start the index scan at the cursor instead of filtering from the top.
 */
function entityKeyset({ field, descending, nullable }: PagePlan, after: NonNullable<PagePlan['after']>): object {
  const op = descending ? '$lt' : '$gt';
  const { value, id } = after;
  if (value === null) {
    const laterNulls = { [field]: null, id: { [op]: id } };
    // Descending, the nulls came first: every row with a value is still ahead.
    return descending ? { $or: [laterNulls, { [field]: { $ne: null } }] } : laterNulls;
  }
  const bound = descending ? '$lte' : '$gte';
  const ahead = {
    $and: [
      { [field]: { [bound]: value } },
      { $or: [{ [field]: { [op]: value } }, { [field]: value, id: { [op]: id } }] },
    ],
  };
  // Ascending, the nulls come last: they are all still ahead.
  return nullable && !descending ? { $or: [ahead, { [field]: null }] } : ahead;
}

/** The same keyset as `entityKeyset`, in SQL. */
function sqlKeyset(
  { descending, nullable }: PagePlan,
  after: NonNullable<PagePlan['after']>,
  column: string,
  idColumn: string,
): { sql: string; params: unknown[] } {
  const op = descending ? '<' : '>';
  const { value, id } = after;
  if (value === null) {
    const laterNulls = `(${column} is null and ${idColumn} ${op} ?)`;
    return { sql: descending ? `(${laterNulls} or ${column} is not null)` : laterNulls, params: [id] };
  }
  const ahead = `(${column} ${op}= ? and (${column} ${op} ? or (${column} = ? and ${idColumn} ${op} ?)))`;
  const sql = nullable && !descending ? `(${ahead} or ${column} is null)` : ahead;
  return { sql, params: [value, value, value, id] };
}

/** A list read with SQL (joins): every fragment is the code's own, never client input. */
export interface SqlListOptions {
  /** The select list; it must name the tie-breaker as `id`. */
  select: string;
  /** The table and its joins, one row per item: `members m left join directory_users d on …`. */
  from: string;
  /** The list's scope, with `?` placeholders filled from `params`. */
  where: string;
  params: readonly unknown[];
  /** The unique tie-breaker column, e.g. `m.id`. */
  id: string;
  /** Sortable fields: the column each sorts by, how its values travel in a cursor, whether it may be null. */
  sortable: Record<string, { column: string; kind: SortKind; nullable?: boolean }>;
  /** e.g. '-createdAt' */
  defaultSort: string;
  /** Columns `q` matches (case-insensitive substring, wildcards literal). */
  search?: readonly string[];
}

/** The sort value rides along under this alias for the next cursor, then leaves the row. */
const SORT_VALUE = 'page_sort_value';
/** An offset page's total rides along under this alias (one round trip for the page and its count). */
const PAGE_TOTAL = 'page_total';

/**
 * One page of rows from a SQL query, with the same query fields, cursor and meta as `findPage`:
 * for lists that join (members with the directory's names, say). An offset page and its total come
 * back in one statement: the count is an uncorrelated subquery PostgreSQL runs once for the page.
 */
export async function findRowsPage<Row extends { id: string }>(
  em: EntityManager,
  list: SqlListOptions,
  request: PageRequest,
): Promise<Page<Row>> {
  const fields = Object.fromEntries(
    Object.entries(list.sortable).map(([field, sort]) => [
      field,
      { kind: sort.kind, nullable: sort.nullable ?? false },
    ]),
  );
  const plan = planPage(request, fields, list.defaultSort);
  const column = list.sortable[plan.field]!.column;

  const conditions = [`(${list.where})`];
  const params: unknown[] = [...list.params];
  if (list.search && request.q) {
    conditions.push(`(${list.search.map((searched) => `${searched} ilike ?`).join(' or ')})`);
    params.push(...list.search.map(() => likePattern(request.q!)));
  }
  const listed = conditions.join(' and ');
  const countSql = `select count(*)::int from ${list.from} where ${listed}`;

  let filter = listed;
  const filterParams = [...params];
  if (plan.after) {
    const keyset = sqlKeyset(plan, plan.after, column, list.id);
    filter += ` and ${keyset.sql}`;
    filterParams.push(...keyset.params);
  }
  // With a cursor there is no total (an exact count is O(n)); an offset page counts in the same statement.
  const counted = !plan.after;
  const direction = plan.descending ? 'desc' : 'asc';
  type RawRow = Row & { [SORT_VALUE]: unknown; [PAGE_TOTAL]?: number };
  const raw = await queryRows<RawRow>(
    em,
    `select ${list.select}, ${column} as ${SORT_VALUE}${counted ? `, (${countSql}) as ${PAGE_TOTAL}` : ''}
      from ${list.from} where ${filter}
      order by ${column} ${direction}, ${list.id} ${direction} limit ? offset ?`,
    [...(counted ? params : []), ...filterParams, plan.limit + 1, plan.offset],
  );
  const page = finishPage(raw, plan, (row) => row[SORT_VALUE]);
  const items = page.items.map(({ [SORT_VALUE]: _sortValue, [PAGE_TOTAL]: _total, ...row }) => row as unknown as Row);
  if (counted) page.meta.total = raw[0] ? raw[0][PAGE_TOTAL]! : await countPastTheEnd(em, countSql, params, plan);
  return { items, meta: page.meta };
}

/** An empty offset page carries no total: from the top there is nothing at all, past it the count is asked for. */
async function countPastTheEnd(em: EntityManager, countSql: string, params: unknown[], plan: PagePlan) {
  if (plan.offset === 0) return 0;
  const [row] = await queryRows<{ count: number }>(em, countSql, params);
  return row?.count ?? 0;
}
