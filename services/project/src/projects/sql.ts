import type { EntitlementsChanged, ProjectStatus } from '@gatehouse/contracts';
import type { Project } from './entities.js';

/**
 * The hot paths' SQL (list and create), by hand: one statement each, no ORM hydration or change sets.
 * bench/floor.ts builds its projects page from the same fragments, so the floor runs the same query.
 */

/** A project row and its creator's name; the name is looked up per row returned, after the page is cut. */
export const PROJECT_COLUMNS = `p.id, p.organization_id, p.name, p.slug, p.description, p.status,
  p.created_by_user_id, p.version, p.created_at, p.updated_at,
  (select u.full_name from users u where u.user_id = p.created_by_user_id) as creator_name`;

/** The list's sortable fields: each list order is served by an (organization_id, column, id) index. */
export const PROJECT_SORTS = {
  name: { column: 'p.name', kind: 'string' },
  createdAt: { column: 'p.created_at', kind: 'date' },
  updatedAt: { column: 'p.updated_at', kind: 'date' },
} as const;

export interface ProjectRow {
  id: string;
  organization_id: string;
  name: string;
  slug: string;
  description: string | null;
  status: ProjectStatus;
  created_by_user_id: string;
  version: number;
  /** Raw SQL reads timestamps as text (the ORM's pg type parsers). */
  created_at: string | Date;
  updated_at: string | Date;
  creator_name: string | null;
}

export function projectOf(row: ProjectRow): Project {
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    slug: row.slug,
    description: row.description,
    status: row.status,
    createdByUserId: row.created_by_user_id,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/**
 * What lets the insert through, by the organization's plan:
 *   stored    — the plan the service's copy holds, read by the statement itself with `planSql` (the read model's
 *               STORED_ENTITLEMENTS_SQL, passed in so that this file, which bench/floor.ts imports, imports no kit): it
 *               inserts only when that plan sets no project limit, and answers the plan (null when the copy has none);
 *   unlimited — the caller knows the plan sets no limit (or cannot know it: billing unreachable, failing open);
 *   limited   — only while the organization has fewer than `limit` (the caller holds its lock).
 */
export type PlanGate = { kind: 'stored'; planSql: string } | { kind: 'unlimited' } | { kind: 'limited'; limit: number };

export interface ProjectInsert {
  project: Omit<Project, 'slug' | 'version'>;
  /** Slugs to try in order: the first not taken in the organization is used. */
  slugs: readonly string[];
  /** The project.created outbox row, inserted only with the project. */
  event: { id: string; subject: string; payload: unknown; createdAt: Date };
  gate: PlanGate;
}

/** What the insert statement answers, in one row whether or not it inserted. */
export interface ProjectInsertRow extends Partial<ProjectRow> {
  /** The organization's projects before the insert; null when no limit was checked. */
  current: number | null;
  /** The first free candidate slug; null when every one was taken. */
  free_slug: string | null;
  /** With the stored gate: the plan the service's copy holds (null when it has none); else null. */
  stored_plan: EntitlementsChanged | null;
}

/** The stored plan sets no project limit: `maxProjects` null or absent (as `plan.entitlements.maxProjects ?? null`). */
const STORED_PLAN_UNLIMITED = `exists (select 1 from plan
  where coalesce(jsonb_typeof(plan.entitlements->'entitlements'->'maxProjects'), 'null') = 'null')`;

/**
 * One statement: pick the first free slug, insert the project (when the plan lets it, see PlanGate) and its
 * activity event in the outbox, and answer the row with its creator's name. A single statement commits or
 * fails as a whole, so the event exists exactly when the project does. A slug taken by a concurrent writer
 * after the pick inserts nothing (`on conflict do nothing`) instead of failing: the caller picks again.
 *
 * `offset 0` keeps each candidate's check a probe of the unique (organization_id, slug) index, whatever the
 * statistics say: PostgreSQL does not flatten an EXISTS subquery with an OFFSET (simplify_EXISTS_query), neither
 * into an anti-join nor into a hashed subplan. Flattened, on statistics older than the organization's growth (a
 * table not analyzed since it was small) the check reads every project of the organization on each creation
 * (docs/performance.md, project create).
 */
export function projectInsertStatement({ project, slugs, event, gate }: ProjectInsert): {
  sql: string;
  params: unknown[];
} {
  const limited = gate.kind === 'limited';
  const stored = gate.kind === 'stored';
  const sql = `with
    ${limited ? 'counted as (select count(*)::int as n from projects where organization_id = ?),' : ''}
    ${stored ? `plan as (${gate.planSql}),` : ''}
    candidate as (
      select c.slug from unnest(array[?]::text[]) with ordinality as c(slug, n)
      where not exists (select 1 from projects t where t.organization_id = ? and t.slug = c.slug offset 0)
      order by c.n limit 1),
    inserted as (
      insert into projects (id, organization_id, name, slug, description, status, created_by_user_id,
        version, created_at, updated_at)
      select ?, ?, ?, candidate.slug, ?, ?, ?, 1, ?, ? from candidate
      ${limited ? 'where (select n from counted) < ?' : ''}
      ${stored ? `where ${STORED_PLAN_UNLIMITED}` : ''}
      on conflict (organization_id, slug) do nothing
      returning *),
    recorded as (
      insert into outbox_events (id, subject, payload, created_at, published_at, attempts)
      select ?, ?, ?::jsonb, ?, null, 0 from inserted)
    select ${limited ? '(select n from counted)' : 'null::int'} as current,
      ${stored ? '(select entitlements from plan)' : 'null::jsonb'} as stored_plan,
      (select slug from candidate) as free_slug, ${PROJECT_COLUMNS}
    from (select 1) as one left join inserted p on true`;
  const params = [
    ...(limited || stored ? [project.organizationId] : []),
    slugs,
    project.organizationId,
    project.id,
    project.organizationId,
    project.name,
    project.description,
    project.status,
    project.createdByUserId,
    project.createdAt,
    project.updatedAt,
    ...(limited ? [gate.limit] : []),
    event.id,
    event.subject,
    JSON.stringify(event.payload),
    event.createdAt,
  ];
  return { sql, params };
}
