/**
 * `pnpm bench:plans` (members): the plans behind one organization of 50,000 members — the members
 * list (first page, newest first, a deep cursor page, search), the membership check every tenant
 * request makes (organization's own, and the project service's read model), role changes, removals
 * and a user's deletion — run through the services' own code on databases migrated as they migrate
 * their own. services/organization/test/members-scale.test.ts asserts the same plans at a smaller scale.
 */
import { fileURLToPath } from 'node:url';
import { dropDatabase, initOrm, MembershipReadModel, type Orm, type ServiceDeps } from '@gatehouse/service-kit';
import { countMembers } from '../services/organization/src/members/plan-limits.js';
import {
  changeRole,
  listMembers,
  removeMember,
  removeUserEverywhere,
} from '../services/organization/src/members/service.js';
import { tenantAccess } from '../services/organization/src/organizations/access.js';
import { type OrganizationHarness, principalOf, startOrganization } from '../services/organization/test/harness.js';
import { projectService } from '../services/project/src/definition.js';
import {
  MAX_EXAMINED_PER_TABLE,
  PAGE,
  type PlanCheck,
  planShapes,
  printScenarios,
  type Scenario,
  scenarioProblems,
} from './plan-shape.js';

export { MAX_EXAMINED_PER_TABLE };

export interface MemberScale {
  /** Members of the organization under test. */
  members: number;
  /** Members of the other organizations (the tables are shared: an index must pick one out). */
  elsewhere: number;
  /** How many other organizations share them. */
  organizations: number;
}

export const FULL_SCALE: MemberScale = { members: 50_000, elsewhere: 100_000, organizations: 1_000 };

const ORG = `O${'0'.repeat(25)}`;
const userId = (n: number) => `U${String(n).padStart(25, '0')}`;
const memberId = (n: number) => `M${String(n).padStart(25, '0')}`;

/**
 * Members 1…members in the organization under test (1 and 2 owners, every tenth an admin), joined a
 * second apart; the rest spread over the other organizations; every one in the directory.
 */
export async function seedOrganization(orm: Orm, scale: MemberScale): Promise<void> {
  const em = orm.em.fork();
  const total = scale.members + scale.elsewhere;
  const spread = Math.floor(total / scale.members);
  await em.execute(
    `insert into organizations (id, name, slug, created_at, updated_at)
     select 'O' || lpad(g::text, 25, '0'), 'Organization ' || g, 'organization-' || g, now(), now()
     from generate_series(0, ?) g`,
    [scale.organizations],
  );
  await em.execute(
    `insert into directory_users (user_id, email, name, is_verified)
     select 'U' || lpad(g::text, 25, '0'), 'member-' || g || '@example.test', 'Member ' || g, true
     from generate_series(1, ?) g`,
    [total],
  );
  await em.execute(
    `insert into members (id, organization_id, user_id, role, joined_at)
     select 'M' || lpad(g::text, 25, '0'), ?, 'U' || lpad(g::text, 25, '0'),
            case when g <= 2 then 'owner' when g % 10 = 0 then 'admin' else 'member' end,
            -- Spread over the same months as everyone's joins, as an organization grows over time.
            timestamptz '2026-01-01' + (g * ? || ' seconds')::interval
     from generate_series(1, ?) g`,
    [ORG, spread, scale.members],
  );
  await em.execute(
    `insert into members (id, organization_id, user_id, role, joined_at)
     select 'M' || lpad(g::text, 25, '0'), 'O' || lpad((1 + g % ?)::text, 25, '0'), 'U' || lpad(g::text, 25, '0'),
            case when g % 50 = 0 then 'owner' else 'member' end, timestamptz '2026-01-01' + (g || ' seconds')::interval
     from generate_series(?, ?) g`,
    [scale.organizations, scale.members + 1, total],
  );
  // What autovacuum does on a live table: statistics and the visibility map (index-only counts).
  await em.execute('vacuum analyze organizations, members, directory_users');
}

/** The organization's operations on a seeded database, each with the plans of the reads it made. */
export async function memberScenarios(h: OrganizationHarness, scale: MemberScale): Promise<Scenario[]> {
  const { ctx } = h;
  const orm = ctx.deps.orm;
  const owner = principalOf(userId(1));
  const tenant = { organizationId: ORG, principal: owner, role: 'owner' as const };
  const middle = Math.floor(scale.members / 2);
  const scenarios: Scenario[] = [];
  const sql = (query: string, params: unknown[]) => orm.em.fork().execute(query, params);
  /** `restore` puts back what the work removed, so its reads are explained against the rows they found. */
  const run = async (
    title: string,
    check: PlanCheck,
    work: () => Promise<unknown>,
    restore?: () => Promise<unknown>,
  ) => {
    scenarios.push({ title, check, shapes: await planShapes(orm, work, restore) });
  };
  const rejoin = (n: number) => () =>
    sql(
      `insert into members (id, organization_id, user_id, role, joined_at)
       values (?, ?, ?, 'member', timestamptz '2026-01-01' + (? || ' seconds')::interval)`,
      [memberId(n), ORG, userId(n), n * Math.floor((scale.members + scale.elsewhere) / scale.members)],
    );

  await run('membership check per tenant request (a member deep in the list)', 'page', () =>
    tenantAccess(ctx)(ORG, principalOf(userId(middle))),
  );
  await run('membership check per tenant request (an outsider)', 'page', () =>
    tenantAccess(ctx)(ORG, principalOf(userId(scale.members + 1))).catch(() => null),
  );
  await run('members list, first page (with the total)', 'page', () =>
    listMembers(ctx, tenant, { offset: 0, limit: PAGE }),
  );
  await run('members list, newest first', 'page', () =>
    listMembers(ctx, tenant, { offset: 0, limit: PAGE, sort: '-joinedAt' }),
  );
  const deep: { cursor?: string } = {};
  await run(`members list, offset page at ${middle} (what the cursor avoids)`, 'report', async () => {
    deep.cursor = (await listMembers(ctx, tenant, { offset: middle, limit: PAGE })).meta.nextCursor ?? undefined;
  });
  await run(`members list, cursor page after member ${middle + PAGE}`, 'page', () =>
    listMembers(ctx, tenant, { offset: 0, limit: PAGE, cursor: deep.cursor }),
  );
  await run('members list, search matching one member (q = an email)', 'page', () =>
    listMembers(ctx, tenant, { offset: 0, limit: PAGE, q: `member-${middle + 1}@` }),
  );
  await run('members list, search matching every member (its total counts them all)', 'page-and-total', () =>
    listMembers(ctx, tenant, { offset: 0, limit: PAGE, q: 'example.test' }),
  );
  await run('role change (member to admin)', 'page', () =>
    changeRole(ctx, tenant, memberId(middle + 1), 'admin', 'bench'),
  );
  await run('role change of an owner (the last-owner rule)', 'page', () =>
    changeRole(ctx, tenant, memberId(2), 'admin', 'bench'),
  );
  await run(
    'member removed (the last-owner rule)',
    'page',
    () => removeMember(ctx, tenant, memberId(middle + 3), 'bench'),
    rejoin(middle + 3),
  );
  await run(
    'a member deleted their account (heir and owner checks)',
    'page',
    () => orm.em.fork().transactional((em) => removeUserEverywhere(em, userId(middle + 4), 'bench')),
    rejoin(middle + 4),
  );
  await run('seats taken, for a plan with a member limit (a count of every member)', 'page', () =>
    countMembers(orm.em.fork(), ORG),
  );
  return scenarios;
}

/**
 * The project service's copy of the memberships (audit's and billing's are the same table and query):
 * the tenant check every project request makes, on a scratch database migrated as the service migrates.
 */
export async function readModelScenarios(databaseUrl: string, scale: MemberScale): Promise<Scenario[]> {
  const orm = await initOrm({ databaseUrl, entities: projectService.entities, migrations: projectService.migrations });
  try {
    const em = orm.em.fork();
    await em.execute(
      `insert into memberships (organization_id, user_id, role)
       select case when g <= ? then ? else 'O' || lpad((1 + g % ?)::text, 25, '0') end,
              'U' || lpad(g::text, 25, '0'), 'member'
       from generate_series(1, ?) g`,
      [scale.members, ORG, scale.organizations, scale.members + scale.elsewhere],
    );
    await em.execute('vacuum analyze memberships');
    // A hit never asks organization, so the read model needs no messaging here.
    const model = new MembershipReadModel({} as ServiceDeps, { table: 'memberships', durable: 'bench-plans' });
    const middle = userId(Math.floor(scale.members / 2));
    return [
      {
        title: "project's membership read model, a member deep in the organization",
        check: 'page',
        shapes: await planShapes(orm, () => model.roleOf(orm.em.fork(), ORG, middle)),
      },
    ];
  } finally {
    await orm.close();
    await dropDatabase(databaseUrl);
  }
}

export const MEMBER_TABLES = ['members', 'directory_users', 'organizations', 'memberships'] as const;

async function main() {
  const scale = FULL_SCALE;
  const h = await startOrganization();
  let problems: string[] = [];
  try {
    const started = Date.now();
    await seedOrganization(h.ctx.deps.orm, scale);
    console.log(`seeded ${scale.members} members (+${scale.elsewhere} elsewhere) in ${Date.now() - started} ms`);
    const scenarios = await memberScenarios(h, scale);
    printScenarios(`Organization with ${scale.members.toLocaleString('en')} members`, scenarios);
    const server = new URL(h.ctx.config.DATABASE_URL);
    server.pathname = `/gatehouse_plans_memberships_${Date.now().toString(36)}`;
    const readModel = await readModelScenarios(server.toString(), scale);
    printScenarios('Membership read model (project service)', readModel);
    problems = scenarioProblems([...scenarios, ...readModel], MEMBER_TABLES, MAX_EXAMINED_PER_TABLE);
  } finally {
    await h.close();
  }
  console.log(problems.length === 0 ? '\nevery plan is bounded by the page' : `\nNOT O(page):\n${problems.join('\n')}`);
  if (problems.length > 0) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
