import { SCIM_MAX_RESULTS, SCIM_SCHEMAS } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { scimFilterSql } from './filter.js';

export interface ScimPageQuery {
  filter?: string;
  startIndex?: number;
  count?: number;
}

export interface ScimPage {
  totalResults: number;
  startIndex: number;
  ids: string[];
}

const TABLES = { users: 'scim_users', groups: 'scim_groups' } as const;

/**
 * One page of a directory's users or groups (RFC 7644 §3.4.2.4), by id: 1-based `startIndex`, `count`
 * at most SCIM_MAX_RESULTS (0 asks only for the total), ordered by creation so pages do not shift.
 * Tombstoned users are nobody's business. One count query, one page query.
 */
export async function findScimPage(
  em: EntityManager,
  kind: 'users' | 'groups',
  directoryId: string,
  query: ScimPageQuery,
): Promise<ScimPage> {
  // RFC 7644 §3.4.2.4: a startIndex below 1 means 1, a negative count means 0.
  const startIndex = Math.max(1, Math.floor(query.startIndex ?? 1));
  const count = Math.min(Math.max(0, Math.floor(query.count ?? SCIM_MAX_RESULTS)), SCIM_MAX_RESULTS);
  const conditions = ['r.directory_id = ?'];
  const params: unknown[] = [directoryId];
  if (kind === 'users') conditions.push('r.deleted_at is null');
  if (query.filter !== undefined) {
    const filter = scimFilterSql(kind, query.filter);
    conditions.push(filter.sql);
    params.push(...filter.params);
  }
  const from = `from ${TABLES[kind]} r where ${conditions.join(' and ')}`;
  const [counted] = await em.execute<Array<{ total: number }>>(`select count(*)::int as total ${from}`, params);
  const totalResults = counted?.total ?? 0;
  if (count === 0 || totalResults < startIndex) return { totalResults, startIndex, ids: [] };
  const rows = await em.execute<Array<{ id: string }>>(
    `select r.id ${from} order by r.created_at, r.id limit ? offset ?`,
    [...params, count, startIndex - 1],
  );
  return { totalResults, startIndex, ids: rows.map((row) => row.id) };
}

/** RFC 7644 §3.4.2's ListResponse. */
export function listResponse(resources: unknown[], page: { totalResults: number; startIndex: number }): object {
  return {
    schemas: [SCIM_SCHEMAS.listResponse],
    totalResults: page.totalResults,
    startIndex: page.startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
