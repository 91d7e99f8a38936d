import type { AuthenticatedPrincipal } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { organizationWithAdmin, type ProjectHarness, startProject } from './harness.js';

/** Create and list over HTTP: the hand-written statements behind them (src/projects/sql.ts). */
let h: ProjectHarness;
let organizationId: string;
let admin: AuthenticatedPrincipal;
beforeAll(async () => {
  h = await startProject();
  ({ organizationId, admin } = await organizationWithAdmin(h));
  await h.service.deps.orm.em
    .fork()
    .execute('insert into users (user_id, full_name) values (?, ?)', [admin.userId, 'Ada Admin']);
});
afterAll(async () => {
  await h?.close();
});

const url = () => `/api/user/organizations/${organizationId}/projects`;

async function create(payload: Record<string, unknown>) {
  return h.service.app.inject({ method: 'POST', url: url(), headers: await h.service.as(admin), payload });
}

async function list(query = '') {
  const answer = await h.service.app.inject({ url: `${url()}${query}`, headers: await h.service.as(admin) });
  expect(answer.statusCode).toBe(200);
  return answer.json() as {
    data: Array<{ id: string; name: string; status: string }>;
    meta: { total?: number; hasMore: boolean; nextCursor: string | null; offset: number };
  };
}

async function outboxRows(projectId: string) {
  return (await h.service.deps.orm.em
    .fork()
    .execute(`select subject, payload from outbox_events where payload->'data'->'target'->>'id' = ?`, [
      projectId,
    ])) as Array<{ payload: { data: { action: string; target: { name: string } } } }>;
}

describe('creating a project', () => {
  it('answers the stored project with its creator, version 1, and records project.created with it', async () => {
    const created = await create({ name: '  Mission Control ', description: 'Ops' });
    expect(created.statusCode).toBe(201);
    expect(created.headers.etag).toBe('W/"1"');
    const project = created.json().data;
    expect(project).toMatchObject({
      organizationId,
      name: 'Mission Control',
      slug: 'mission-control',
      description: 'Ops',
      status: 'draft',
      createdByUserId: admin.userId,
      createdByUser: { id: admin.userId, fullName: 'Ada Admin' },
    });
    expect(project.createdAt).toBe(project.updatedAt);
    expect(new Date(project.createdAt).toISOString()).toBe(project.createdAt);
    const events = await outboxRows(project.id);
    expect(events.map((row) => row.payload.data.action)).toEqual(['project.created']);
    expect(events[0]!.payload.data.target.name).toBe('Mission Control');
  });

  it('derives a free slug from a taken name, and refuses a taken slug asked for with 409', async () => {
    const again = await create({ name: 'Mission Control' });
    expect(again.statusCode).toBe(201);
    expect(again.json().data.slug).toMatch(/^mission-control-\d+$/);
    const clash = await create({ name: 'Other', slug: 'mission-control' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().meta.reason).toBe('SLUG_TAKEN');
    const named = (await list('?q=Other')).data;
    expect(named).toEqual([]);
    const symbols = await create({ name: '!!!', slug: undefined });
    expect(symbols.json().data.slug).toBe('project');
  });

  it('creates each of many made at once once, with distinct slugs', async () => {
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => create({ name: 'Burst' })));
    expect(answers.map((answer) => answer.statusCode)).toEqual([201, 201, 201, 201, 201, 201]);
    const slugs = new Set(answers.map((answer) => answer.json().data.slug));
    expect(slugs.size).toBe(6);
    expect((await list('?q=Burst&limit=100')).meta.total).toBe(6);
  });
});

describe('listing projects', () => {
  it('answers the page, its total and the creators in one page, and walks the rest by cursor', async () => {
    const first = await list('?limit=4');
    const total = first.meta.total!;
    expect(total).toBeGreaterThanOrEqual(9);
    expect(first.data).toHaveLength(4);
    expect(first.data[0]).toMatchObject({ createdByUser: { id: admin.userId, fullName: 'Ada Admin' } });
    const seen = first.data.map((project) => project.id);
    let cursor = first.meta.nextCursor;
    while (cursor) {
      const page = await list(`?limit=4&cursor=${cursor}`);
      expect(page.meta.total).toBeUndefined();
      seen.push(...page.data.map((project) => project.id));
      cursor = page.meta.nextCursor;
    }
    expect(new Set(seen).size).toBe(total);
    expect(seen).toHaveLength(total);
  });

  it('filters by status and name, and counts past the end', async () => {
    await create({ name: 'Paused Probe', status: 'paused' });
    const paused = await list('?status=paused');
    expect(paused.data.map((project) => project.name)).toEqual(['Paused Probe']);
    expect(paused.meta.total).toBe(1);
    const past = await list('?status=paused&offset=5');
    expect(past.data).toEqual([]);
    expect(past.meta).toMatchObject({ total: 1, hasMore: false, offset: 5 });
    expect((await list('?q=zzz-none')).meta.total).toBe(0);
  });
});
