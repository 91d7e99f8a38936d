import type { AddressInfo } from 'node:net';
import { newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp as buildProject } from '../../services/project/src/app.js';
import { signedInUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let owner: Awaited<ReturnType<typeof signedInUser>>;
let base: string;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_SIGN_IN_MAX: '1000',
    RATE_LIMIT_SIGN_UP_MAX: '1000',
    RATE_LIMIT_IP_MAX: '100000',
  });
  owner = await signedInUser(stack, 'Pat Projects');
  base = `/api/user/organizations/${owner.organizationId}/projects`;
});
afterAll(async () => {
  await stack?.close();
});

function projectDb() {
  return stack.project.deps.orm.em.fork();
}

describe('projects', () => {
  it('creates with defaults, derives and guards slugs, validates fields', async () => {
    const created = await owner.client.post(base, { name: 'Marketing Site', description: 'The public site' });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.body.data).toMatchObject({
      organizationId: owner.organizationId,
      name: 'Marketing Site',
      slug: 'marketing-site',
      description: 'The public site',
      status: 'draft',
      createdByUserId: owner.userId,
      createdByUser: { id: owner.userId, fullName: 'Pat Projects' },
    });
    const second = await owner.client.post(base, { name: 'Marketing Site' });
    expect(second.body.data.slug).toMatch(/^marketing-site-\d+$/);
    const clash = await owner.client.post(base, { name: 'Other', slug: 'marketing-site' });
    expect(clash.status).toBe(409);
    expect(clash.body.meta.reason).toBe('SLUG_TAKEN');
    const invalid = await owner.client.post(base, { name: 'x', status: 'archived', description: 'y'.repeat(2001) });
    expect(invalid.status).toBe(400);
    expect(invalid.body.meta.errors.map((e: { field: string }) => e.field).sort()).toEqual(['description', 'status']);
  });

  it('refuses a stale If-Match with 412 and never loses a write', async () => {
    const created = await owner.client.post(base, { name: 'Contended' });
    const url = `${base}/${created.body.data.id}`;
    const etag = created.headers.get('etag')!;
    const first = await owner.client.put(url, { status: 'active' }, { 'if-match': etag });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('W/"2"');
    const stale = await owner.client.put(url, { name: 'Overwrite' }, { 'if-match': etag });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');
    const current = await owner.client.get(url);
    expect(current.body.data).toMatchObject({ name: 'Contended', status: 'active' });
    expect(current.headers.get('etag')).toBe('W/"2"');
    expect((await owner.client.put(url, { status: 'paused' }, { 'if-match': '*' })).headers.get('etag')).toBe('W/"3"');
    expect((await owner.client.put(url, { status: 'active' }, { 'if-match': 'W/"1", W/"3"' })).status).toBe(200);
  });

  it('answers 404 for a project id under the wrong organization and for unknown ids', async () => {
    const other = await owner.client.post('/api/user/organizations', { name: 'Second Org' });
    const created = await owner.client.post(base, { name: 'Lives in the first' });
    const wrong = await owner.client.get(
      `/api/user/organizations/${other.body.data.id}/projects/${created.body.data.id}`,
    );
    expect(wrong.status).toBe(404);
    expect((await owner.client.get(`${base}/${newId()}`)).status).toBe(404);
    expect((await owner.client.get(`${base}/not-an-id`)).body.meta.errors[0]).toMatchObject({
      field: 'projectId',
      location: 'params',
    });
  });

  it('filters by name and status and sorts', async () => {
    const org = await owner.client.post('/api/user/organizations', { name: 'Filter Org' });
    const url = `/api/user/organizations/${org.body.data.id}/projects`;
    for (const [name, status] of [
      ['Alpha', 'active'],
      ['beta', 'paused'],
      ['Gamma', 'active'],
      ['alphabet', 'draft'],
    ]) {
      await owner.client.post(url, { name, status });
    }
    const byName = await owner.client.get(`${url}?q=alpha&sort=name`);
    expect(byName.body.data.map((p: { name: string }) => p.name)).toEqual(['Alpha', 'alphabet']);
    const active = await owner.client.get(`${url}?status=active&sort=-name`);
    expect(active.body.data.map((p: { name: string }) => p.name)).toEqual(['Gamma', 'Alpha']);
    expect(active.body.meta).toMatchObject({ total: 2, offset: 0, limit: 20, hasMore: false });
    const paged = await owner.client.get(`${url}?limit=1&offset=1&sort=name`);
    expect(paged.body.data[0].name).toBe('Gamma');
    expect(paged.body.meta).toMatchObject({ total: 4, offset: 1, limit: 1, hasMore: true });
    expect((await owner.client.get(`${url}?limit=101`)).status).toBe(400);
    expect((await owner.client.get(`${url}?sort=secret`)).body.meta.errors[0].field).toBe('sort');
  });

  it('walks 1,000 projects by cursor with no gaps or duplicates while others insert', async () => {
    const org = await owner.client.post('/api/user/organizations', { name: 'Big Org' });
    const organizationId = org.body.data.id as string;
    const url = `/api/user/organizations/${organizationId}/projects`;
    const seeded: string[] = [];
    const values: string[] = [];
    const params: unknown[] = [];
    const start = Date.now() - 1_000_000;
    for (let i = 0; i < 1000; i++) {
      const id = newId();
      seeded.push(id);
      values.push("(?, ?, ?, ?, 'draft', ?, 1, ?, ?)");
      // Many share a timestamp, so the id tie-breaker is exercised.
      const at = new Date(start + Math.floor(i / 3) * 1000);
      params.push(id, organizationId, `Project ${i}`, `project-${i}`, owner.userId, at, at);
    }
    await projectDb().execute(
      `insert into projects (id, organization_id, name, slug, status, created_by_user_id, version, created_at, updated_at) values ${values.join(', ')}`,
      params,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let inserts = 0;
    do {
      const page: { status: number; body: { data: Array<{ id: string }>; meta: { nextCursor: string | null } } } =
        await owner.client.get(`${url}?sort=createdAt&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((p) => p.id));
      cursor = page.body.meta.nextCursor;
      // Someone else keeps creating projects during the walk.
      await owner.client.post(url, { name: `Concurrent ${inserts++}` });
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const seenSet = new Set(seen);
    expect(seeded.every((id) => seenSet.has(id))).toBe(true);
    expect(seen.slice(0, 1000)).toEqual(seeded);
  });
});

describe('membership read model', () => {
  it('answers from the organization service on a miss, without writing the answer down', async () => {
    await projectDb().execute('delete from memberships where organization_id = ?', [owner.organizationId]);
    const res = await owner.client.get(base);
    expect(res.status).toBe(200);
    const [row] = await projectDb().execute('select count(*)::int as n from memberships where organization_id = ?', [
      owner.organizationId,
    ]);
    expect(row?.n).toBe(0);
  });

  it('converges after the project service was down while memberships changed', async () => {
    const port = (stack.project.app.server.address() as AddressInfo).port;
    await stack.project.app.close();
    const created = await owner.client.post('/api/user/organizations', { name: 'Made While Down' });
    const organizationId = created.body.data.id as string;
    const down = await owner.client.get(`/api/user/organizations/${organizationId}/projects`);
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('SERVICE_UNAVAILABLE');
    const [before] = await projectDb().execute('select count(*)::int as n from memberships where organization_id = ?', [
      organizationId,
    ]);
    expect(before?.n).toBe(0);

    const restarted = await buildProject(stack.project.deps);
    await restarted.listen({ host: '127.0.0.1', port });
    try {
      await eventually(async () => {
        const [after] = await projectDb().execute(
          'select role from memberships where organization_id = ? and user_id = ?',
          [organizationId, owner.userId],
        );
        expect(after?.role).toBe('owner');
      }, 10_000);
      expect((await owner.client.get(`/api/user/organizations/${organizationId}/projects`)).status).toBe(200);
    } finally {
      await restarted.close();
    }
  });
});
