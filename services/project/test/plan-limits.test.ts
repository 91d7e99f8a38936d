import { type AuthenticatedPrincipal, EVENT_SUBJECTS } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  entitlementsOf,
  organizationWithAdmin,
  type ProjectHarness,
  publishPlan,
  startProject,
  storedRevision,
} from './harness.js';

/** The plan's project limit (docs/design/billing-plan.md §4): only creation is checked. */
let h: ProjectHarness;
beforeAll(async () => {
  h = await startProject();
});
afterAll(async () => {
  await h?.close();
});

const projectsUrl = (organizationId: string) => `/api/user/organizations/${organizationId}/projects`;

async function create(as: AuthenticatedPrincipal, organizationId: string, name = 'Apollo') {
  return h.service.app.inject({
    method: 'POST',
    url: projectsUrl(organizationId),
    headers: await h.service.as(as),
    payload: { name },
  });
}

async function createMany(as: AuthenticatedPrincipal, organizationId: string, count: number) {
  const statuses: number[] = [];
  for (let index = 0; index < count; index++) statuses.push((await create(as, organizationId, `P${index}`)).statusCode);
  return statuses;
}

/** An organization on a plan of `maxProjects`, with its admin. */
async function organizationOn(maxProjects: number | null) {
  const org = await organizationWithAdmin(h);
  await publishPlan(h, entitlementsOf(org.organizationId, 1, maxProjects));
  return org;
}

describe('the project limit', () => {
  it('lets a creation within the limit through', async () => {
    const { organizationId, admin } = await organizationOn(2);
    expect(await createMany(admin, organizationId, 2)).toEqual([201, 201]);
  });

  it('refuses one at the limit with 403 PLAN_LIMIT_REACHED, saying the limit, the count and where to upgrade', async () => {
    const { organizationId, admin } = await organizationOn(1);
    expect((await create(admin, organizationId)).statusCode).toBe(201);
    const refused = await create(admin, organizationId, 'Second');
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({
      success: false,
      code: 'PLAN_LIMIT_REACHED',
      meta: {
        resource: 'projects',
        limit: 1,
        current: 1,
        upgradeUrl: `http://localhost:8080/orgs/${organizationId}/billing`,
      },
    });
  });

  it('lets exactly the limit through of creations made at once', async () => {
    const { organizationId, admin } = await organizationOn(3);
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => create(admin, organizationId, `Race ${n}`)));
    const statuses = answers.map((answer) => answer.statusCode).sort((a, b) => a - b);
    expect(statuses).toEqual([201, 201, 201, 403, 403]);
    const listed = await h.service.app.inject({ url: projectsUrl(organizationId), headers: await h.service.as(admin) });
    expect(listed.json().data).toHaveLength(3);
  });

  it('applies no limit on an unlimited plan', async () => {
    const { organizationId, admin } = await organizationOn(null);
    expect(await createMany(admin, organizationId, 4)).toEqual([201, 201, 201, 201]);
  });

  it('fails open: with no plan known and no billing to ask, creation is allowed', async () => {
    const { organizationId, admin } = await organizationWithAdmin(h);
    expect(await createMany(admin, organizationId, 2)).toEqual([201, 201]);
    expect(await storedRevision(h, organizationId)).toBeNull();
  });

  it('takes a higher revision that lowers the limit, and ignores a late lower one', async () => {
    const { organizationId, admin } = await organizationOn(5);
    expect(await createMany(admin, organizationId, 2)).toEqual([201, 201]);
    await publishPlan(h, entitlementsOf(organizationId, 2, 2));
    expect((await create(admin, organizationId, 'Third')).statusCode).toBe(403);
    // The late revision 1 arrives before the sentinel, which the consumer takes in order after it.
    await h.publish(EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsOf(organizationId, 1, 5));
    const sentinel = await organizationWithAdmin(h);
    await publishPlan(h, entitlementsOf(sentinel.organizationId, 1, 1));
    expect(await storedRevision(h, organizationId)).toBe(2);
    expect((await create(admin, organizationId, 'Third')).json()).toMatchObject({
      code: 'PLAN_LIMIT_REACHED',
      meta: { limit: 2, current: 2 },
    });
  });

  it('never deletes above the limit: listing, reading, updating and deleting keep working', async () => {
    const { organizationId, admin } = await organizationOn(5);
    expect(await createMany(admin, organizationId, 3)).toEqual([201, 201, 201]);
    await publishPlan(h, entitlementsOf(organizationId, 2, 1));
    const headers = await h.service.as(admin);
    const listed = await h.service.app.inject({ url: projectsUrl(organizationId), headers });
    expect(listed.statusCode).toBe(200);
    const projects = listed.json().data as { id: string }[];
    expect(projects).toHaveLength(3);
    const [first, second] = projects as [{ id: string }, { id: string }];
    const one = `${projectsUrl(organizationId)}/${first.id}`;
    expect((await h.service.app.inject({ url: one, headers })).statusCode).toBe(200);
    const renamed = await h.service.app.inject({ method: 'PUT', url: one, headers, payload: { name: 'Renamed' } });
    expect(renamed.statusCode).toBe(200);
    const removed = await h.service.app.inject({
      method: 'DELETE',
      url: `${projectsUrl(organizationId)}/${second.id}`,
      headers,
    });
    expect(removed.statusCode).toBe(200);
    expect((await create(admin, organizationId, 'Still over')).statusCode).toBe(403);
  });

  it("forgets an organization's plan with the organization", async () => {
    const { organizationId } = await organizationOn(2);
    await h.publish(EVENT_SUBJECTS.organizationDeleted, { organizationId, name: 'Acme', slug: 'acme' });
    await eventually(async () => expect(await storedRevision(h, organizationId)).toBeNull());
  });
});
