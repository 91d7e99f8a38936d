import { newId } from '@gatehouse/contracts';
import { queryRows, STORED_ENTITLEMENTS_SQL } from '@gatehouse/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectInsertStatement } from '../src/projects/sql.js';
import { organizationWithAdmin, type ProjectHarness, startProject } from './harness.js';

/**
 * What PostgreSQL plans for a creation's one statement: its cost must not grow with the organization. The table
 * here is filled in one go and never analyzed, as a busy organization's table is between two analyses (on this
 * machine autovacuum is off): the statistics say the organization has a handful of projects when it has thousands.
 */
let h: ProjectHarness;
beforeAll(async () => {
  h = await startProject();
});
afterAll(async () => {
  await h?.close();
});

const PROJECTS_IN_ORGANIZATION = 5_000;
const SLUG_INDEX = 'projects_organization_id_slug_key';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/** Every node of the plan that reads the projects table (the insert itself writes it, so it is left out). */
function projectReads(node: PlanNode): PlanNode[] {
  const own = node['Relation Name'] === 'projects' && node['Node Type'] !== 'ModifyTable' ? [node] : [];
  return [...own, ...(node.Plans ?? []).flatMap(projectReads)];
}

async function planOfCreation(organizationId: string, userId: string) {
  const em = h.service.deps.orm.em.fork();
  const now = new Date();
  const { sql, params } = projectInsertStatement({
    project: {
      id: newId(),
      organizationId,
      name: 'Apollo',
      description: null,
      status: 'draft',
      createdByUserId: userId,
      createdAt: now,
      updatedAt: now,
    },
    slugs: ['apollo', 'apollo-1', 'apollo-2', 'apollo-zz'],
    event: { id: newId(), subject: 'events.project.activity.recorded', payload: {}, createdAt: now },
    gate: { kind: 'stored', planSql: STORED_ENTITLEMENTS_SQL },
  });
  // Plain EXPLAIN plans the statement without running it: nothing is inserted.
  const [row] = await queryRows<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(em, `explain (format json) ${sql}`, params);
  return row!['QUERY PLAN'][0].Plan;
}

describe('the creation statement on a large organization with stale statistics', () => {
  it('checks each candidate slug with one probe of the unique slug index, never reading the organization', async () => {
    const { organizationId, admin } = await organizationWithAdmin(h);
    const em = h.service.deps.orm.em.fork();
    // Taken slugs shaped as the service makes them: the name's, then suffixed.
    await em.execute(
      `insert into projects (id, organization_id, name, slug, status, created_by_user_id, version, created_at, updated_at)
       select 'p' || g, ?, 'Apollo', case when g = 1 then 'apollo' else 'apollo-' || g end, 'draft', ?, 1, now(), now()
       from generate_series(1, ?) g`,
      [organizationId, admin.userId, PROJECTS_IN_ORGANIZATION],
    );

    const reads = projectReads(await planOfCreation(organizationId, admin.userId));

    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      expect(read['Node Type']).toMatch(/^Index (Only )?Scan$/);
      expect(read['Index Name']).toBe(SLUG_INDEX);
      expect(read['Index Cond']).toContain('slug =');
    }
  });
});
