import { type AuditRecord, newId } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditHarness, startAudit } from './harness.js';
import {
  addMember,
  answerNoMembership,
  get,
  logUrl,
  orgDraft,
  personPrincipal,
  reverseIds,
  seed,
  seedMany,
} from './logs-fixtures.js';

type Record = Static<typeof AuditRecord>;

describe('audit log list', () => {
  let h: AuditHarness;
  const organizationId = newId();
  const owner = personPrincipal();
  const member = personPrincipal();
  const memberKey = { ...personPrincipal(member.userId, 'api_key') };
  const outsider = personPrincipal();

  beforeAll(async () => {
    h = await startAudit();
    answerNoMembership(h);
    await addMember(h, organizationId, owner.userId, 'owner');
    await addMember(h, organizationId, member.userId, 'member');
    await seed(h, [
      orgDraft(organizationId, owner.userId, {
        action: 'member.role_changed',
        target: { type: 'member', id: member.userId, name: 'Grace' },
      }),
      orgDraft(organizationId, member.userId, { action: 'project.created' }),
      orgDraft(organizationId, member.userId, {
        action: 'project.deleted',
        actor: { type: 'api_key', id: 'ak_01KEY', userId: member.userId },
      }),
      orgDraft(organizationId, owner.userId, {
        action: 'member_x.added',
        target: { type: 'member', id: 'target-100%', name: 'under_score' },
        ip: '198.51.100.9',
        occurredAt: new Date('2026-01-01T00:00:00Z'),
      }),
      orgDraft(organizationId, owner.userId, { action: 'member.added', occurredAt: new Date('2026-06-01T00:00:00Z') }),
      // What `member_x.*` and `r_s` would match were `_` a wildcard.
      orgDraft(organizationId, owner.userId, { action: 'memberyx.added', target: { type: 'member', id: 'rxs' } }),
      orgDraft(newId(), owner.userId, { action: 'project.created' }),
    ]);
    // The order shown is the chain's, whatever the ids say.
    await reverseIds(h, `org:${organizationId}`);
  });
  afterAll(() => h.close());

  const list = async (query = '', as = owner) => {
    const res = await get(h, as, logUrl(organizationId, query));
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { data: Record[]; meta: { hasMore: boolean; nextCursor: string | null; total?: number } };
  };
  const actions = async (query: string, as = owner) => (await list(query, as)).data.map((record) => record.action);

  it('shows an owner every record of the organization, newest first by sequence, with actor and request', async () => {
    const { data, meta } = await list();
    expect(data.map((record) => record.sequence)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(data.map((record) => record.action)).toEqual([
      'memberyx.added',
      'member.added',
      'member_x.added',
      'project.deleted',
      'project.created',
      'member.role_changed',
    ]);
    expect(meta).toEqual({ offset: 0, limit: 20, hasMore: false, nextCursor: null });
    const first = data.at(-1)!;
    expect(first).toMatchObject({
      organizationId,
      userId: null,
      actor: { type: 'user', id: owner.userId, userId: owner.userId, name: 'Ada Lovelace' },
      target: { type: 'member', id: member.userId, name: 'Grace' },
      ip: '203.0.113.7',
      userAgent: 'vitest',
      outcome: 'success',
      sequence: 1,
    });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('shows any other member only the records of their own actions (their keys included)', async () => {
    expect(await actions('', member)).toEqual(['project.deleted', 'project.created']);
    expect(await actions('', memberKey)).toEqual(['project.deleted', 'project.created']);
  });

  it('answers a non-member 404, as for an organization that does not exist', async () => {
    const res = await get(h, outsider, logUrl(organizationId));
    expect(res.statusCode, res.body).toBe(404);
  });

  it('filters by action, exactly or by family, the family prefix taken literally', async () => {
    expect(await actions('?action=project.deleted')).toEqual(['project.deleted']);
    expect(await actions('?action=member.*')).toEqual(['member.added', 'member.role_changed']);
    // `_` is a LIKE wildcard: `member_x.*` must not match `member.` nor anything else.
    expect(await actions('?action=member_x.*')).toEqual(['member_x.added']);
    expect(await actions('?action=project.*', member)).toEqual(['project.deleted', 'project.created']);
  });

  it('filters by actor (the credential or the person behind it) and by target', async () => {
    expect(await actions('?actorId=ak_01KEY')).toEqual(['project.deleted']);
    expect(await actions(`?actorId=${member.userId}`)).toEqual(['project.deleted', 'project.created']);
    expect(await actions(`?targetId=${member.userId}`)).toEqual(['member.role_changed']);
    expect(await actions(`?targetId=${encodeURIComponent('target-100%')}`)).toEqual(['member_x.added']);
  });

  it('filters by time: since inclusive, until exclusive', async () => {
    expect(await actions('?since=2026-01-01T00:00:00Z&until=2026-06-01T00:00:00Z')).toEqual(['member_x.added']);
    expect(await actions('?since=2026-01-01T00:00:00Z&until=2026-06-01T00:00:01Z')).toEqual([
      'member.added',
      'member_x.added',
    ]);
  });

  it('searches q case-insensitively over action, actor, target, ip and request id, with % and _ literal', async () => {
    expect(await actions('?q=ROLE_CHANGED')).toEqual(['member.role_changed']);
    expect(await actions('?q=198.51.100')).toEqual(['member_x.added']);
    expect(await actions('?q=ak_01key')).toEqual(['project.deleted']);
    expect(await actions(`?q=${encodeURIComponent('100%')}`)).toEqual(['member_x.added']);
    expect(await actions(`?q=${encodeURIComponent('r_s')}`)).toEqual(['member_x.added']);
    expect(await actions(`?q=${encodeURIComponent('%')}`)).toEqual(['member_x.added']);
    expect(await actions('?q=grace')).toEqual(['member.role_changed']);
    expect(await actions('?q=nothing-like-this')).toEqual([]);
  });

  it('refuses a malformed cursor with 400 naming it', async () => {
    const encoded = (payload: string) => Buffer.from(payload).toString('base64url');
    for (const cursor of [
      'not-a-cursor',
      'e30',
      encoded('{"id":"01JAAAAAAAAAAAAAAAAAAAAAAA"}'),
      encoded('{"sequence":"3"}'),
      encoded('{"sequence":-1}'),
      encoded('{"sequence":2.5}'),
      encoded('{"sequence":1e300}'),
    ]) {
      const res = await get(h, owner, logUrl(organizationId, `?cursor=${cursor}`));
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(JSON.stringify(res.json())).toContain('cursor');
    }
  });

  it('refuses a malformed filter with 400 naming it', async () => {
    for (const [query, field] of [
      ['?action=Member.*', 'action'],
      ['?since=yesterday', 'since'],
      ['?offset=5', 'offset'],
    ] as const) {
      const res = await get(h, owner, logUrl(organizationId, query));
      expect(res.statusCode, res.body).toBe(400);
      expect(JSON.stringify(res.json())).toContain(field);
    }
  });
});

describe('audit log cursor walk', () => {
  let h: AuditHarness;
  const organizationId = newId();
  const owner = personPrincipal();

  beforeAll(async () => {
    h = await startAudit();
    await addMember(h, organizationId, owner.userId, 'owner');
  });
  afterAll(() => h.close());

  it('walks 250 records completely, newest first by sequence, each once, while new records arrive', async () => {
    const drafts = Array.from({ length: 250 }, (_, index) =>
      orgDraft(organizationId, owner.userId, { target: { type: 'project', id: `p-${index}` } }),
    );
    await seedMany(h, drafts);
    // Ids that sort against the chain: the walk must follow the sequence all the same.
    await reverseIds(h, `org:${organizationId}`);
    const expected = Array.from({ length: 250 }, (_, index) => 250 - index);

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=40${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await get(h, owner, logUrl(organizationId, query));
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { data: Record[]; meta: { hasMore: boolean; nextCursor: string | null } };
      seen.push(...body.data.map((record) => record.sequence));
      cursor = body.meta.nextCursor;
      expect(body.meta.hasMore).toBe(cursor !== null);
      pages += 1;
      // Records arriving at the head while the reader walks back must not shift the pages.
      await seed(h, [orgDraft(organizationId, owner.userId, { action: 'project.updated' })]);
    } while (cursor);

    expect(pages).toBe(7);
    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(250);
  });
});

describe("the account's own security log", () => {
  let h: AuditHarness;
  const person = personPrincipal();
  const other = personPrincipal();

  beforeAll(async () => {
    h = await startAudit();
    const account = (userId: string, action: string, ip = '192.0.2.1') => ({
      log: { userId },
      action,
      actor: { type: 'user' as const, id: userId },
      target: { type: 'session', id: newId() },
      ip,
    });
    await seed(h, [
      account(person.userId, 'session.created'),
      account(person.userId, 'sign_in.failed', '192.0.2.99'),
      account(other.userId, 'session.created'),
      orgDraft(newId(), person.userId, { action: 'project.created' }),
    ]);
  });
  afterAll(() => h.close());

  it("shows the caller's account records only, with the same filters", async () => {
    const res = await get(h, person, '/api/user/me/audit-logs');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { data: Record[] };
    expect(body.data.map((record) => [record.action, record.userId, record.organizationId])).toEqual([
      ['sign_in.failed', person.userId, null],
      ['session.created', person.userId, null],
    ]);
    const filtered = await get(h, person, '/api/user/me/audit-logs?q=192.0.2.99');
    expect((filtered.json() as { data: Record[] }).data.map((record) => record.action)).toEqual(['sign_in.failed']);
    const family = await get(h, person, '/api/user/me/audit-logs?action=session.*&limit=1');
    expect(family.json()).toMatchObject({ data: [{ action: 'session.created' }], meta: { hasMore: false } });
  });
});
