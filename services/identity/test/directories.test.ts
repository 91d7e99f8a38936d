import {
  type AuthenticatedPrincipal,
  newId,
  REVOKED_CREDENTIALS_HEADER,
  SCIM_TOKEN_PREFIX,
  TOKEN_SCOPES,
} from '@gatehouse/contracts';
import { hashSecret } from '@gatehouse/service-kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IdentityContext } from '../src/context.js';
import { resolveDirectoryToken } from '../src/directories/tokens.js';
import { type IdentityHarness, startIdentity } from './harness.js';

/**
 * …/directories through the identity app, as the gateway forwards it: an owner's signed session
 * principal, memberships in identity's read model inserted directly.
 */
let h: IdentityHarness;
let ctx: IdentityContext;
let organizationId: string;
let owner: AuthenticatedPrincipal;
let member: AuthenticatedPrincipal;

// biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
  h.service.deps.orm.em.fork().execute(query, params);

const base = () => `/api/user/organizations/${organizationId}/directories`;

async function person(role: 'owner' | 'admin' | 'member', kind: 'session' | 'api_key' = 'session') {
  const userId = newId();
  await sql(
    `insert into users (id, email, password_hash, full_name, handle, is_verified, is_active, created_at, updated_at)
     values (?, ?, 'x', 'Someone', ?, true, true, now(), now())`,
    [userId, `${userId.toLowerCase()}@example.com`, `h${userId.toLowerCase()}`],
  );
  await sql('insert into user_memberships (organization_id, user_id, role) values (?, ?, ?)', [
    organizationId,
    userId,
    role,
  ]);
  return principalFor(userId, kind);
}

function principalFor(userId: string, kind: 'session' | 'api_key'): AuthenticatedPrincipal {
  return { kind, userId, credentialId: newId(), scopes: [...TOKEN_SCOPES], role: 'user', organizationId: null };
}

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, as = owner) {
  return h.service.app.inject({
    method,
    url,
    headers: await h.service.as(as),
    ...(body !== undefined && { payload: body as object }),
  });
}

async function create(body: Record<string, unknown> = { name: 'Okta' }) {
  const res = await call('POST', base(), body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().data as { directory: { id: string; tokenStart: string }; token: string };
}

const revokedEvents = (id: string) =>
  sql(
    `select payload->'data' as data from outbox_events
      where subject = 'events.identity.credential.revoked' and payload->'data'->>'id' = ?`,
    [id],
  );

beforeAll(async () => {
  h = await startIdentity();
  // What token resolution reads: the database and the config.
  ctx = { deps: h.service.deps, config: h.service.deps.config } as IdentityContext;
});
// An organization has one live directory: each test gets its own organization.
beforeEach(async () => {
  organizationId = newId();
  owner = await person('owner');
  member = await person('member');
});
afterAll(async () => {
  await h?.close();
});

describe('directories', () => {
  it('keeps one live directory per organization: a second is 409, one after a deletion is fine', async () => {
    const first = await create();
    const second = await call('POST', base(), { name: 'Entra' });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ code: 'CONFLICT', meta: { reason: 'DIRECTORY_EXISTS' } });
    expect((await call('DELETE', `${base()}/${first.directory.id}`)).statusCode).toBe(200);
    await create({ name: 'Entra' });
  });

  it('creates a directory whose token is shown once and stored as a hash', async () => {
    const { directory, token } = await create({
      name: ' Okta ',
      defaultRole: 'member',
      roleMapping: [{ group: 'Gatehouse Admins', role: 'admin' }],
    });
    expect(token.startsWith(SCIM_TOKEN_PREFIX)).toBe(true);
    expect(token.length).toBeGreaterThan(40);
    expect(directory).toMatchObject({
      organizationId,
      name: 'Okta',
      scimBaseUrl: 'http://localhost:8080/scim/v2',
      defaultRole: 'member',
      roleMapping: [{ group: 'Gatehouse Admins', role: 'admin' }],
      tokenStart: token.slice(0, 12),
      previousTokenExpiresAt: null,
      userCount: 0,
      groupCount: 0,
      lastSyncAt: null,
    });
    const rows = await sql('select token_hash, token_start, expires_at from directory_tokens where directory_id = ?', [
      directory.id,
    ]);
    expect(rows).toEqual([{ token_hash: hashSecret(token), token_start: token.slice(0, 12), expires_at: null }]);
    const read = await call('GET', `${base()}/${directory.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.body).not.toContain(token);
    expect(read.json().data).toMatchObject({ id: directory.id, tokenStart: token.slice(0, 12) });

    const resolved = await resolveDirectoryToken(ctx, token);
    expect(resolved).toEqual({
      ok: true,
      principal: {
        kind: 'scim',
        credentialId: expect.any(String),
        directoryId: directory.id,
        organizationId,
        ttlSeconds: ctx.config.CREDENTIAL_CACHE_SECONDS,
      },
    });
    for (const wrong of [`${token}x`, token.slice(SCIM_TOKEN_PREFIX.length), 'gh_scim_', '']) {
      expect(await resolveDirectoryToken(ctx, wrong)).toEqual({ ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' });
    }
  });

  it('lists the organization’s directories with the list envelope', async () => {
    await create({ name: 'Entra ID' });
    const res = await call('GET', `${base()}?sort=name`);
    expect(res.statusCode).toBe(200);
    const names = res.json().data.map((directory: { name: string }) => directory.name);
    expect(names).toContain('Entra ID');
    expect([...names].sort()).toEqual(names);
    expect(res.json().meta).toBeDefined();
    const key = await call('GET', base(), undefined, { ...owner, kind: 'api_key' });
    expect(key.statusCode).toBe(200);
  });

  it('rotates with an overlap: the old token works until it expires; overlap 0 ends it', async () => {
    const { directory, token: first } = await create();
    const rotated = await call('POST', `${base()}/${directory.id}/rotate-token`, { overlapSeconds: 120 });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const { token: second, directory: after } = rotated.json().data;
    expect(second).not.toBe(first);
    expect(after.tokenStart).toBe(second.slice(0, 12));
    const expiresAt = new Date(after.previousTokenExpiresAt).getTime();
    expect(expiresAt).toBeGreaterThan(Date.now() + 100_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    const old = await resolveDirectoryToken(ctx, first);
    expect(old.ok).toBe(true);
    // Cached no longer than the old token has left.
    if (old.ok) expect(old.principal.ttlSeconds).toBeLessThanOrEqual(ctx.config.CREDENTIAL_CACHE_SECONDS);
    expect((await resolveDirectoryToken(ctx, second)).ok).toBe(true);

    // A second rotation ends the oldest at once (with its revocation event) and keeps the middle one a while.
    const third = (await call('POST', `${base()}/${directory.id}/rotate-token`, {})).json().data.token;
    expect(await resolveDirectoryToken(ctx, first)).toEqual({ ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' });
    expect((await resolveDirectoryToken(ctx, second)).ok).toBe(true);
    const [firstRow] = await sql('select id from directory_tokens where token_hash = ?', [hashSecret(first)]);
    expect(await revokedEvents(firstRow.id)).toEqual([
      { data: { kind: 'scim', id: firstRow.id, userId: directory.id } },
    ]);

    const now = await call('POST', `${base()}/${directory.id}/rotate-token`, { overlapSeconds: 0 });
    expect(now.statusCode).toBe(200);
    expect(now.json().data.directory.previousTokenExpiresAt).toBeNull();
    expect((await resolveDirectoryToken(ctx, third)).ok).toBe(false);
    expect((await resolveDirectoryToken(ctx, second)).ok).toBe(false);
    expect((await resolveDirectoryToken(ctx, now.json().data.token)).ok).toBe(true);
    // The answer names what it revoked, so the serving gateway purges before the client hears of it.
    const ended = await sql('select id from directory_tokens where token_hash in (?, ?)', [
      hashSecret(second),
      hashSecret(third),
    ]);
    const header = String(now.headers[REVOKED_CREDENTIALS_HEADER]).split(',');
    expect(header).toEqual(expect.arrayContaining(ended.map((row) => row.id)));
  });

  it('revokes every token at once', async () => {
    const { directory, token } = await create();
    const res = await call('POST', `${base()}/${directory.id}/revoke-tokens`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({ id: directory.id, tokenStart: null, previousTokenExpiresAt: null });
    expect(await resolveDirectoryToken(ctx, token)).toEqual({ ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' });
    const [row] = await sql('select id from directory_tokens where directory_id = ?', [directory.id]);
    expect(await revokedEvents(row.id)).toHaveLength(1);
    // A rotation after revocation issues a working token again.
    const again = await call('POST', `${base()}/${directory.id}/rotate-token`, {});
    expect((await resolveDirectoryToken(ctx, again.json().data.token)).ok).toBe(true);
  });

  it('updates name and mapping, refusing a group mapped twice', async () => {
    const { directory } = await create();
    const res = await call('PUT', `${base()}/${directory.id}`, {
      name: 'Okta (prod)',
      defaultRole: 'admin',
      roleMapping: [{ group: 'Owners', role: 'owner' }],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toMatchObject({
      name: 'Okta (prod)',
      defaultRole: 'admin',
      roleMapping: [{ group: 'Owners', role: 'owner' }],
    });
    const twice = await call('PUT', `${base()}/${directory.id}`, {
      roleMapping: [
        { group: 'Owners', role: 'owner' },
        { group: 'OWNERS ', role: 'member' },
      ],
    });
    expect(twice.statusCode).toBe(400);
    expect(twice.json()).toMatchObject({
      code: 'VALIDATION_ERROR',
      meta: { errors: [{ field: 'roleMapping.1.group' }] },
    });
  });

  it('deletes: 404 everywhere after, and the token is refused at once', async () => {
    const { directory, token } = await create();
    const res = await call('DELETE', `${base()}/${directory.id}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(await resolveDirectoryToken(ctx, token)).toEqual({ ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' });
    const [row] = await sql('select id from directory_tokens where directory_id = ?', [directory.id]);
    expect(await revokedEvents(row.id)).toHaveLength(1);
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PUT', '', { name: 'x' }],
      ['DELETE', '', undefined],
      ['POST', '/rotate-token', {}],
      ['POST', '/revoke-tokens', undefined],
    ] as const) {
      const again = await call(method, `${base()}/${directory.id}${path}`, body);
      expect(again.statusCode, `${method} ${path}`).toBe(404);
    }
    const listed = (await call('GET', base())).json().data.map((item: { id: string }) => item.id);
    expect(listed).not.toContain(directory.id);
  });

  it('is for owners of this organization only; writes need the person in a session', async () => {
    const { directory } = await create();
    const asMember = await call('GET', base(), undefined, member);
    expect(asMember.statusCode).toBe(403);
    expect(asMember.json().code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await call('POST', base(), { name: 'x' }, member)).statusCode).toBe(403);
    // (A non-member's 404 comes from the organization service, asked on a read-model miss: not running here.)
    const stranger = principalFor(newId(), 'session');
    // Another organization's owner does not see this directory under their own organization.
    const otherOrganization = newId();
    await sql('insert into user_memberships (organization_id, user_id, role) values (?, ?, ?)', [
      otherOrganization,
      stranger.userId,
      'owner',
    ]);
    const crossed = await call(
      'GET',
      `/api/user/organizations/${otherOrganization}/directories/${directory.id}`,
      undefined,
      stranger,
    );
    expect(crossed.statusCode).toBe(404);
    const key = { ...owner, kind: 'api_key' as const };
    const byKey = await call('POST', base(), { name: 'By key' }, key);
    expect(byKey.statusCode).toBe(403);
    expect(byKey.json().code).toBe('FORBIDDEN');
    expect((await call('POST', `${base()}/${directory.id}/rotate-token`, {}, key)).statusCode).toBe(403);
    const oauth = { ...owner, kind: 'oauth' as const, clientId: 'app' };
    expect((await call('GET', base(), undefined, oauth)).statusCode).toBe(403);
  });

  it('validates input with the envelope', async () => {
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', base(), {}, 'name'],
      ['POST', base(), { name: '   ' }, 'name'],
      ['POST', base(), { name: 'x', defaultRole: 'god' }, 'defaultRole'],
      ['POST', base(), { name: 'x', roleMapping: [{ group: 'a', role: 'root' }] }, 'roleMapping.0.role'],
      ['POST', base(), { name: 'x', extra: true }, 'extra'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await call(method as 'POST', url, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      const fields = res.json().meta.errors.map((error: { field: string }) => error.field);
      expect(fields, JSON.stringify(body)).toContain(field);
    }
    const { directory } = await create();
    const empty = await call('PUT', `${base()}/${directory.id}`, {});
    expect(empty.statusCode).toBe(400);
    const overlap = await call('POST', `${base()}/${directory.id}/rotate-token`, { overlapSeconds: 8 * 24 * 3600 });
    expect(overlap.statusCode).toBe(400);
    expect((await call('GET', `${base()}/not-a-ulid`)).statusCode).toBe(400);
  });
});
