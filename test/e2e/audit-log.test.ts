import { createHash } from 'node:crypto';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type Json } from '../support/client.js';
import { createKey, keyClient, mailedToken, PASSWORD, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/** The audit log through the gateway: what members do is recorded with actor, target, ip and requestId. */

let stack: Stack;
type User = Awaited<ReturnType<typeof verifiedUser>>;
let owner: User;
let member: User;
let memberId: string;
const USER_AGENT = 'gatehouse-e2e/1.0 (audit)';

beforeAll(async () => {
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' },
    {},
    { audit: true },
  );
  owner = await verifiedUser(stack, 'Olive Owner');
  member = await verifiedUser(stack, 'Max Member');
  const invite = await owner.client.post(`${org()}/invites`, { email: member.email, role: 'member' });
  expect(invite.status).toBe(201);
  const token = await mailedToken(stack, member.email, '/accept-invite?token=');
  const accepted = await member.client.post(`/api/user/invites/${token}/accept`);
  expect(accepted.status).toBe(200);
  memberId = accepted.body.data.id;
});
afterAll(async () => {
  await stack?.close();
});

const org = () => `/api/user/organizations/${owner.organizationId}`;

/** The owner's view of the organization's log, filtered. */
async function records(client: ApiClient, query: string): Promise<Json[]> {
  const res = await client.get(`${org()}/audit-logs?${query}`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Waits until the log holds a record matching the query (ingestion is asynchronous). */
function recorded(client: ApiClient, query: string, timeoutMs = 20_000): Promise<Json> {
  return eventually(async () => {
    const [record] = await records(client, query);
    if (!record) throw new Error(`nothing recorded yet for ${query}`);
    return record;
  }, timeoutMs);
}

describe('audit log through the gateway', () => {
  it('records a role change, a key and a project deletion with actor, target, ip, user agent and requestId', async () => {
    const requestId = `e2e-role-${Date.now()}`;
    const changed = await owner.client.put(
      `${org()}/members/${memberId}/role`,
      { role: 'admin' },
      { 'user-agent': USER_AGENT, 'x-request-id': requestId },
    );
    expect(changed.status).toBe(200);
    const roleChange = await recorded(owner.client, `action=member.role_changed&targetId=${member.userId}`);
    expect(roleChange).toMatchObject({
      organizationId: owner.organizationId,
      action: 'member.role_changed',
      actor: { type: 'user', id: owner.userId, userId: owner.userId, name: 'Olive Owner' },
      target: { type: 'member', id: member.userId, name: 'Max Member' },
      changes: { role: { before: 'member', after: 'admin' } },
      outcome: 'success',
      ip: '127.0.0.1',
      userAgent: USER_AGENT,
      requestId,
    });

    const minted = await owner.client.post(
      '/api/auth/api-key/create',
      { name: 'deployer', scopes: ['projects:read', 'projects:write'] },
      { 'user-agent': USER_AGENT },
    );
    expect(minted.status).toBe(200);
    const key = minted.body.data as { id: string; key: string };
    const keyRecord = await eventually(async () => {
      const res = await owner.client.get('/api/user/me/audit-logs?action=api_key.created');
      const [found] = res.body.data;
      if (!found) throw new Error('not yet');
      return found;
    }, 20_000);
    expect(keyRecord).toMatchObject({
      organizationId: null,
      userId: owner.userId,
      target: { type: 'api_key', id: key.id },
      actor: { type: 'user', id: owner.userId },
      userAgent: USER_AGENT,
    });
    expect(JSON.stringify(keyRecord)).not.toContain(key.key);

    const deployer = keyClient(stack, key.key).withHeaders({ 'user-agent': USER_AGENT });
    const project = await deployer.post(`${org()}/projects`, { name: 'Doomed' });
    expect(project.status).toBe(201);
    const deleted = await deployer.delete(`${org()}/projects/${project.body.data.id}`, { 'x-request-id': 'e2e-del' });
    expect(deleted.status).toBe(200);
    const deletion = await recorded(owner.client, `action=project.deleted&targetId=${project.body.data.id}`);
    expect(deletion).toMatchObject({
      actor: { type: 'api_key', id: key.id, userId: owner.userId, name: 'Olive Owner' },
      target: { type: 'project', id: project.body.data.id, name: 'Doomed' },
      ip: '127.0.0.1',
      requestId: 'e2e-del',
    });
  });

  it('shows members only their own actions, and keeps export and verify to owners', async () => {
    await recorded(owner.client, 'action=invitation.accepted');
    const mine = await records(member.client, 'limit=100');
    expect(mine.length).toBeGreaterThan(0);
    for (const record of mine) expect(record.actor.userId).toBe(member.userId);
    expect((await member.client.get(`${org()}/audit-logs/export`)).status).toBe(403);
    expect((await member.client.get(`${org()}/audit-logs/verify`)).status).toBe(403);
    const stranger = await verifiedUser(stack, 'Stan Stranger');
    expect((await stranger.client.get(`${org()}/audit-logs`)).status).toBe(404);
  });

  it('records a refused sign-in and a key refused a route in the account log', async () => {
    const wrong = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: owner.email,
      password: `${PASSWORD}-wrong`,
    });
    expect(wrong.status).toBe(401);
    const key = await createKey(owner.client, { name: 'narrow', scopes: ['user:read'] });
    const refused = await keyClient(stack, key.key).get(`${org()}/projects`);
    expect(refused.status).toBe(403);
    const account = (action: string) =>
      eventually(async () => {
        const res = await owner.client.get(`/api/user/me/audit-logs?action=${action}`);
        const [found] = res.body.data;
        if (!found) throw new Error(`no ${action} yet`);
        return found;
      }, 20_000);
    expect(await account('sign_in.failed')).toMatchObject({
      outcome: 'failure',
      reason: 'invalid_password',
      actor: { type: 'user', id: owner.userId },
      target: { id: owner.userId },
      ip: '127.0.0.1',
      requestId: wrong.headers.get('x-request-id'),
    });
    expect(await account('api_key.denied')).toMatchObject({
      outcome: 'failure',
      actor: { type: 'api_key', id: key.id, userId: owner.userId },
      target: { id: key.id },
      reason: 'missing_scope',
      requestId: refused.headers.get('x-request-id'),
    });
    // The account log is the account's: another person sees none of it.
    const theirs = await member.client.get('/api/user/me/audit-logs?limit=100');
    expect(theirs.body.data.length).toBeGreaterThan(0);
    for (const record of theirs.body.data) expect(record.userId).toBe(member.userId);
    expect(theirs.body.data.some((record: Json) => record.action === 'session.created')).toBe(true);
  });

  it('pages newest first by cursor and searches with q', async () => {
    for (let i = 0; i < 5; i++) await owner.client.post(`${org()}/projects`, { name: `Paged ${i}` });
    await eventually(async () => {
      if ((await records(owner.client, 'action=project.created&q=Paged&limit=100')).length < 5)
        throw new Error('not all yet');
    }, 20_000);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: Json } = await owner.client.get(
        `${org()}/audit-logs?action=project.*&q=paged&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...res.body.data.map((r: Json) => r.id));
      cursor = res.body.meta.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect((await owner.client.get(`${org()}/audit-logs?cursor=nonsense`)).status).toBe(400);
  });

  it('exports a chain anyone can check, and verify finds an edited row', async () => {
    const exported = await fetch(`${stack.urls.gateway}${org()}/audit-logs/export?format=jsonl`, {
      headers: { cookie: owner.client.cookieHeader() },
    });
    expect(exported.status).toBe(200);
    const lines = (await exported.text()).split('\n').filter(Boolean);
    const exportedRecords = lines.map((line) => JSON.parse(line));
    expect(exportedRecords.length).toBeGreaterThan(5);
    // The check docs/audit-logs.md gives customers, run on the export.
    let previous: string | null = null;
    for (const r of exportedRecords) {
      expect(documentedHash(r)).toBe(r.hash);
      if (previous) expect(r.previousHash).toBe(previous);
      previous = r.hash;
    }
    const csv = await fetch(`${stack.urls.gateway}${org()}/audit-logs/export?format=csv`, {
      headers: { cookie: owner.client.cookieHeader() },
    });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect((await csv.text()).split('\n')[0]).toContain('action');

    const intact = await owner.client.get(`${org()}/audit-logs/verify`);
    expect(intact.body.data).toMatchObject({ intact: true, firstBroken: null });
    expect(intact.body.data.checked).toBeGreaterThanOrEqual(exportedRecords.length);

    const victim = exportedRecords[2];
    await stack
      .audit!.deps.orm.em.fork()
      .execute("update audit_records set target_name = 'Someone else' where id = ?", [victim.id]);
    const broken = await owner.client.get(`${org()}/audit-logs/verify`);
    expect(broken.body.data).toMatchObject({
      intact: false,
      firstBroken: { id: victim.id, sequence: victim.sequence, reason: 'hash_mismatch' },
    });
  });
});

/** docs/audit-logs.md's hash, written again from the document (not imported from the service). */
function documentedHash(r: Json): string {
  const canonical = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(v ?? null);
  };
  const chainKey = r.organizationId ? `org:${r.organizationId}` : `user:${r.userId}`;
  const fields = [
    chainKey,
    r.sequence,
    r.id,
    r.organizationId,
    r.userId,
    r.action,
    r.actor.type,
    r.actor.id,
    r.actor.userId,
    r.actor.name,
    r.target.type,
    r.target.id,
    r.target.name,
    r.changes,
    r.outcome,
    r.reason,
    r.ip,
    r.userAgent,
    r.requestId,
    r.occurredAt,
  ];
  return createHash('sha256')
    .update(`${r.previousHash}\n${canonical(fields)}`)
    .digest('hex');
}
