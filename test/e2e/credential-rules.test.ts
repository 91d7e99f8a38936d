import type { AuthenticatedPrincipal } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import * as oauth from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { createKey, keyClient, PASSWORD, signedInUser } from '../support/flows.js';
import {
  authorizationRequest,
  clientFor,
  completeAuthorization,
  exchangeCode,
  FormBrowser,
  type RegisteredApp,
  registerApp,
} from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Design rule 7 (docs/architecture.md) (issue #12 items 1, 2, 3, 9, 10): a credential only creates credentials at
 * most as strong as itself, OAuth access tokens manage none, introspection shows a client only
 * its own tokens, and the account export follows the lists' visibility.
 */
let stack: Stack;
let alice: Awaited<ReturnType<typeof signedInUser>>;
let bob: Awaited<ReturnType<typeof signedInUser>>;
/** Alice's second organization. */
let otherOrganizationId: string;

const EVERY_SCOPE = [
  'user:read',
  'user:write',
  'projects:read',
  'projects:write',
  'api-keys:read',
  'api-keys:write',
  'api-keys:delete',
  'organizations:read',
  'organizations:write',
  'members:read',
  'members:write',
];

beforeAll(async () => {
  stack = await startStack(
    {
      RATE_LIMIT_IP_MAX: '100000',
      RATE_LIMIT_SIGN_IN_MAX: '1000',
      RATE_LIMIT_SIGN_UP_MAX: '1000',
      RATE_LIMIT_EMAIL_MAX: '1000',
      RATE_LIMIT_API_KEY_CREATE_MAX: '1000',
    },
    { API_KEY_MAX_PER_USER: 100 },
  );
  alice = await signedInUser(stack, 'Alice Rules');
  bob = await signedInUser(stack, 'Bob Rules');
  const created = await alice.client.post('/api/user/organizations', { name: 'Alice Side Project' });
  expect(created.status).toBe(201);
  otherOrganizationId = created.body.data.id;
});
afterAll(async () => {
  await stack?.close();
});

function bearer(token: string): ApiClient {
  return new ApiClient(stack.urls.gateway, { Authorization: `Bearer ${token}` });
}

/** A key pinned to one of alice's organizations (identity learns of new memberships by event). */
function pinnedKey(organizationId: string, scopes: string[], name = 'pinned') {
  return eventually(() => createKey(alice.client, { name, scopes, metadata: { organizationId } }));
}

async function authorize(app: RegisteredApp, scope: string) {
  const config = await clientFor(stack, app);
  const attempt = await authorizationRequest(config, app, scope, { prompt: 'consent' });
  const { callback } = await completeAuthorization(new FormBrowser(), attempt, app, {
    email: alice.email,
    password: PASSWORD,
  });
  return { config, tokens: await exchangeCode(config, attempt, callback) };
}

/** Calls identity directly, as the gateway would forward a request carrying `principal`. */
async function asIdentity(principal: AuthenticatedPrincipal, method: 'GET' | 'POST', url: string, payload?: object) {
  const headers = await stack.identity.as(principal);
  return stack.identity.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
}

describe('OAuth apps are credentials: a key registers none stronger than itself (item 1)', () => {
  it("refuses the issue's reproduction: a user:write key cannot register an app with every scope", async () => {
    const key = await createKey(alice.client, { name: 'profile writer', scopes: ['user:write'] });
    const attempt = await keyClient(stack, key.key).post('/api/user/oauth-apps', {
      name: 'Escalator',
      type: 'confidential',
      redirectUris: ['https://escalator.example.com/cb'],
      allowedScopes: ['openid', ...EVERY_SCOPE],
    });
    expect(attempt.status).toBe(403);
    expect(attempt.body.code).toBe('API_KEY_MISSING_SCOPES');
    expect([...attempt.body.meta.requiredScopes].sort()).toEqual(EVERY_SCOPE.filter((s) => s !== 'user:write').sort());
    // Within its own scopes (OpenID ones are the user's consent to give, not the key's) it may.
    const within = await keyClient(stack, key.key).post('/api/user/oauth-apps', {
      name: 'Within',
      type: 'confidential',
      redirectUris: ['https://within.example.com/cb'],
      allowedScopes: ['openid', 'profile', 'user:write'],
    });
    expect(within.status).toBe(201);
    expect(within.body.data.organizationId).toBeNull();
  });

  it('cannot widen an app through an update: a key rotating the secret of a stronger app is refused', async () => {
    const strong = await registerApp(alice.client, { name: 'Strong', type: 'confidential', scopes: EVERY_SCOPE });
    const key = await createKey(alice.client, { name: 'narrow', scopes: ['user:write', 'user:read'] });
    const rotate = await keyClient(stack, key.key).put(`/api/user/oauth-apps/${strong.id}`, { rotateSecret: true });
    expect(rotate.status).toBe(403);
    expect(rotate.body.code).toBe('API_KEY_MISSING_SCOPES');
    const widen = await keyClient(stack, key.key).put(`/api/user/oauth-apps/${strong.id}`, {
      allowedScopes: ['user:read', 'projects:write'],
    });
    expect(widen.body).toMatchObject({ code: 'API_KEY_MISSING_SCOPES', meta: { requiredScopes: ['projects:write'] } });
    // Narrowing it to what the key holds is allowed.
    const narrowed = await keyClient(stack, key.key).put(`/api/user/oauth-apps/${strong.id}`, {
      allowedScopes: ['user:read'],
    });
    expect(narrowed.status).toBe(200);
  });

  it("pins an app registered by a pinned key: its client-credentials tokens reach only the key's organization", async () => {
    const key = await pinnedKey(alice.organizationId, ['user:read', 'user:write', 'projects:read', 'members:read']);
    const created = await keyClient(stack, key.key).post('/api/user/oauth-apps', {
      name: 'Pinned Machine',
      type: 'confidential',
      redirectUris: ['https://pinned.example.com/cb'],
      allowedScopes: ['user:read', 'projects:read', 'members:read'],
    });
    expect(created.status).toBe(201);
    expect(created.body.data.organizationId).toBe(alice.organizationId);
    const app = { id: created.body.data.id, clientSecret: created.body.data.clientSecret, redirectUri: '' };
    const config = await clientFor(stack, app);
    // oidc-provider refuses scopes outside the app's allowed ones at the token endpoint.
    await expect(oauth.clientCredentialsGrant(config, { scope: 'members:write' })).rejects.toMatchObject({
      error: 'invalid_scope',
    });
    const token = bearer(
      (await oauth.clientCredentialsGrant(config, { scope: 'projects:read members:read' })).access_token,
    );
    expect((await token.get(`/api/user/organizations/${alice.organizationId}/members`)).status).toBe(200);
    const elsewhere = await token.get(`/api/user/organizations/${otherOrganizationId}/members`);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.code).toBe('FORBIDDEN');

    // A key pinned elsewhere sees nothing of the app; the session and the pinned key see it.
    const otherPin = await pinnedKey(otherOrganizationId, ['user:read', 'user:write'], 'other pin');
    expect((await keyClient(stack, otherPin.key).get(`/api/user/oauth-apps/${app.id}`)).status).toBe(404);
    expect((await keyClient(stack, otherPin.key).get('/api/user/oauth-apps')).body.data).toEqual([]);
    const fromSession = await alice.client.get(`/api/user/oauth-apps/${app.id}`);
    expect(fromSession.body.data).toMatchObject({ id: app.id, organizationId: alice.organizationId });
    expect((await keyClient(stack, key.key).get(`/api/user/oauth-apps/${app.id}`)).status).toBe(200);
  });

  it("keeps client-credentials tokens within the minting key's scopes after a session widens the app", async () => {
    const key = await createKey(alice.client, { name: 'minter', scopes: ['user:read', 'user:write'] });
    const created = await keyClient(stack, key.key).post('/api/user/oauth-apps', {
      name: 'Narrow Machine',
      type: 'confidential',
      redirectUris: ['https://narrow.example.com/cb'],
      allowedScopes: ['user:read'],
    });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    const widened = await alice.client.put(`/api/user/oauth-apps/${id}`, {
      allowedScopes: ['user:read', 'projects:read'],
    });
    expect(widened.status).toBe(200);
    const config = await clientFor(stack, { id, clientSecret: created.body.data.clientSecret, redirectUri: '' });
    const token = bearer(
      (await oauth.clientCredentialsGrant(config, { scope: 'user:read projects:read' })).access_token,
    );
    expect((await token.get('/api/user/me')).status).toBe(200);
    const projects = await token.get(`/api/user/organizations/${alice.organizationId}/projects`);
    expect(projects.status).toBe(403);
  });

  it('ends client-credentials tokens when the key that minted the secret is disabled or deleted', async () => {
    const key = await createKey(alice.client, { name: 'app minter', scopes: ['user:read', 'user:write'] });
    const app = await registerApp(keyClient(stack, key.key), { type: 'confidential', scopes: ['user:read'] });
    const config = await clientFor(stack, app);
    const token = bearer((await oauth.clientCredentialsGrant(config, { scope: 'user:read' })).access_token);
    expect((await token.get('/api/user/me')).status).toBe(200);

    await alice.client.post('/api/auth/api-key/update', { keyId: key.id, enabled: false });
    await eventually(async () => expect((await token.get('/api/user/me')).status).toBe(401), 1000, 20);
    await alice.client.post('/api/auth/api-key/update', { keyId: key.id, enabled: true });
    await eventually(async () => expect((await token.get('/api/user/me')).status).toBe(200));

    expect((await alice.client.post('/api/auth/api-key/delete', { keyId: key.id })).status).toBe(200);
    await eventually(async () => expect((await token.get('/api/user/me')).status).toBe(401), 1000, 20);
    const later = bearer((await oauth.clientCredentialsGrant(config, { scope: 'user:read' })).access_token);
    expect((await later.get('/api/user/me')).status).toBe(401);
    // A secret issued by the session stands on its own again.
    const rotated = await alice.client.put(`/api/user/oauth-apps/${app.id}`, { rotateSecret: true });
    const fresh = await clientFor(stack, { ...app, clientSecret: rotated.body.data.clientSecret });
    const revived = bearer((await oauth.clientCredentialsGrant(fresh, { scope: 'user:read' })).access_token);
    expect((await revived.get('/api/user/me')).status).toBe(200);
  });

  it("gives a pinned app's authorization-code tokens the pin too", async () => {
    const key = await pinnedKey(alice.organizationId, ['user:read', 'user:write', 'members:read'], 'code pin');
    const app = await registerApp(keyClient(stack, key.key), { scopes: ['openid', 'user:read', 'members:read'] });
    const { tokens } = await authorize(app, 'openid user:read members:read');
    const token = bearer(tokens.access_token);
    expect((await token.get(`/api/user/organizations/${alice.organizationId}/members`)).status).toBe(200);
    expect((await token.get(`/api/user/organizations/${otherOrganizationId}/members`)).status).toBe(403);
    const listed = await token.get('/api/user/organizations');
    expect(listed.body.data.map((org: { id: string }) => org.id)).toEqual([alice.organizationId]);
  });
});

describe('OAuth access tokens manage no credentials (item 2)', () => {
  it("refuses the issue's reproduction: a consented api-keys:write token creates no key", async () => {
    const app = await registerApp(alice.client, {
      name: 'Key Farmer',
      scopes: ['user:read', 'api-keys:read', 'api-keys:write', 'api-keys:delete'],
    });
    const { tokens } = await authorize(app, 'user:read api-keys:write api-keys:read');
    const token = bearer(tokens.access_token);
    expect((await token.get('/api/user/me')).status).toBe(200);
    const created = await token.post('/api/auth/api-key/create', { name: 'outlives the grant', scopes: ['user:read'] });
    expect(created.status).toBe(403);
    expect(created.body.code).toBe('FORBIDDEN');
    expect((await token.get('/api/auth/api-key/list')).status).toBe(403);
    const [row] = await stack.identity.deps.orm.em
      .fork()
      .execute("select count(*)::int as n from api_keys where user_id = ? and name = 'outlives the grant'", [
        alice.userId,
      ]);
    expect(row?.n).toBe(0);
  });

  it('is refused by identity itself, whatever the gateway lets through', async () => {
    const principal: AuthenticatedPrincipal = {
      kind: 'oauth',
      userId: alice.userId,
      credentialId: 'grant-id-of-some-app',
      clientId: 'oa_01J0000000000000000000000',
      scopes: ['user:read', 'user:write', 'api-keys:read', 'api-keys:write', 'api-keys:delete'],
      organizationId: null,
      role: 'user',
    };
    const attempts = await Promise.all([
      asIdentity(principal, 'POST', '/api/auth/api-key/create', { name: 'sneaky', scopes: ['user:read'] }),
      asIdentity(principal, 'GET', '/api/auth/api-key/list'),
      asIdentity(principal, 'GET', '/api/user/oauth-apps'),
      asIdentity(principal, 'POST', '/api/user/oauth-apps', {
        name: 'Sneaky',
        type: 'confidential',
        redirectUris: ['https://sneaky.example.com/cb'],
        allowedScopes: ['user:read'],
      }),
      asIdentity(principal, 'GET', '/api/user/oauth-grants'),
    ]);
    for (const attempt of attempts) {
      expect(attempt.statusCode).toBe(403);
      expect(attempt.json()).toMatchObject({ success: false, code: 'FORBIDDEN' });
    }
  });
});

describe('a key created by a key dies with it (item 3)', () => {
  const writer = ['api-keys:read', 'api-keys:write', 'api-keys:delete', 'user:read'];

  it('expires with its parent: no expiresIn inherits it, a later one is refused', async () => {
    const parent = await createKey(alice.client, { name: 'hour', scopes: writer, expiresIn: 3600 });
    const bot = keyClient(stack, parent.key);
    const parentShown = (await alice.client.get(`/api/auth/api-key/get?id=${parent.id}`)).body.data;
    const child = await bot.post('/api/auth/api-key/create', { name: 'child', scopes: ['user:read'] });
    expect(child.status).toBe(200);
    expect(child.body.data.expiresAt).toBe(parentShown.expiresAt);
    const beyond = await bot.post('/api/auth/api-key/create', {
      name: 'older',
      scopes: ['user:read'],
      expiresIn: 7200,
    });
    expect(beyond.status).toBe(400);
    expect(beyond.body).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(beyond.body.meta.errors[0]).toMatchObject({ field: 'expiresIn', location: 'body' });
    const forever = await bot.post('/api/auth/api-key/create', {
      name: 'null',
      scopes: ['user:read'],
      expiresIn: null,
    });
    expect(forever.body.data.expiresAt).toBe(parentShown.expiresAt);
  });

  it('is disabled and deleted with its parent, on every gateway at once', async () => {
    const parent = await createKey(alice.client, { name: 'parent', scopes: writer });
    const child = (await keyClient(stack, parent.key).post('/api/auth/api-key/create', { name: 'c', scopes: writer }))
      .body.data;
    const grandchild = (
      await keyClient(stack, child.key).post('/api/auth/api-key/create', { name: 'g', scopes: ['user:read'] })
    ).body.data;
    const descendants = [keyClient(stack, child.key), keyClient(stack, grandchild.key)];
    for (const client of descendants) expect((await client.get('/api/user/me')).status).toBe(200);

    await alice.client.post('/api/auth/api-key/update', { keyId: parent.id, enabled: false });
    for (const client of descendants) {
      await eventually(async () => expect((await client.get('/api/user/me')).status).toBe(401), 1000, 20);
    }
    const shown = await alice.client.get(`/api/auth/api-key/get?id=${grandchild.id}`);
    expect(shown.body.data.enabled).toBe(false);
    // A child cannot be switched back on while what delegated it is off.
    const revive = await alice.client.post('/api/auth/api-key/update', { keyId: child.id, enabled: true });
    expect(revive.body).toMatchObject({ status: 409, code: 'CONFLICT' });

    expect((await alice.client.post('/api/auth/api-key/delete', { keyId: parent.id })).status).toBe(200);
    for (const id of [child.id, grandchild.id]) {
      expect((await alice.client.get(`/api/auth/api-key/get?id=${id}`)).status).toBe(404);
    }
  });

  it('deleting a parent ends its live children at once', async () => {
    const parent = await createKey(alice.client, { name: 'to delete', scopes: writer });
    const child = (await keyClient(stack, parent.key).post('/api/auth/api-key/create', { name: 'c', scopes: writer }))
      .body.data;
    const childClient = keyClient(stack, child.key);
    expect((await childClient.get('/api/user/me')).status).toBe(200);
    expect((await alice.client.post('/api/auth/api-key/delete', { keyId: parent.id })).status).toBe(200);
    await eventually(async () => expect((await childClient.get('/api/user/me')).status).toBe(401), 1000, 20);
  });
});

describe('switching a key back on is creating it again', () => {
  it('a key switches on only a key it could have created: no scope it lacks, no expiry past its own', async () => {
    const strong = await createKey(alice.client, {
      name: 'strong',
      scopes: ['user:read', 'user:write', 'api-keys:write', 'members:write'],
    });
    const weak = await createKey(alice.client, { name: 'weak', scopes: ['api-keys:write'], expiresIn: 3600 });
    const equal = await createKey(alice.client, { name: 'equal', scopes: ['api-keys:write'] });
    for (const key of [strong, equal]) {
      expect((await alice.client.post('/api/auth/api-key/update', { keyId: key.id, enabled: false })).status).toBe(200);
    }
    const byWeak = keyClient(stack, weak.key);
    const wider = await byWeak.post('/api/auth/api-key/update', { keyId: strong.id, enabled: true });
    expect(wider.body).toMatchObject({ status: 403, code: 'API_KEY_MISSING_SCOPES' });
    // The same scopes, but no expiry: it would outlive the key switching it on.
    const longer = await byWeak.post('/api/auth/api-key/update', { keyId: equal.id, enabled: true });
    expect(longer.body).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect((await keyClient(stack, strong.key).get('/api/user/me')).status).toBe(401);
    // The person may.
    expect((await alice.client.post('/api/auth/api-key/update', { keyId: strong.id, enabled: true })).status).toBe(200);
  });
});

describe('introspection shows a client only its own tokens (item 9)', () => {
  it("answers active:false to another user's confidential app, for refresh and access tokens", async () => {
    const app = await registerApp(alice.client, {
      name: 'Introspected',
      type: 'confidential',
      scopes: ['openid', 'offline_access', 'user:read'],
    });
    const { config, tokens } = await authorize(app, 'openid offline_access user:read');
    const snoop = await clientFor(stack, await registerApp(bob.client, { name: 'Snoop', type: 'confidential' }));
    expect((await oauth.tokenIntrospection(snoop, tokens.refresh_token as string)).active).toBe(false);
    expect((await oauth.tokenIntrospection(snoop, tokens.access_token)).active).toBe(false);
    // The app the tokens were issued to still introspects them.
    expect(await oauth.tokenIntrospection(config, tokens.refresh_token as string)).toMatchObject({
      active: true,
      client_id: app.id,
      sub: alice.userId,
    });
    expect(await oauth.tokenIntrospection(config, tokens.access_token)).toMatchObject({
      active: true,
      client_id: app.id,
      scope: 'user:read',
    });
  });
});

describe('the account export follows the lists (item 10)', () => {
  it('shows a pinned key only its organization, and keys and apps pinned to it', async () => {
    const unpinned = await createKey(alice.client, { name: 'export unpinned', scopes: ['user:read'] });
    const elsewhere = await pinnedKey(otherOrganizationId, ['user:read'], 'export elsewhere');
    const pinned = await pinnedKey(alice.organizationId, ['user:read', 'user:write', 'api-keys:read'], 'export pin');
    const pinnedApp = await registerApp(keyClient(stack, pinned.key), { name: 'Pinned Export', scopes: ['user:read'] });
    const unpinnedApp = await registerApp(alice.client, { name: 'Unpinned Export', scopes: ['user:read'] });

    const exported = (await keyClient(stack, pinned.key).get('/api/user/me/export')).body.data;
    expect(exported.organizations.map((org: { organizationId: string }) => org.organizationId)).toEqual([
      alice.organizationId,
    ]);
    expect(exported.user.organizationCount).toBe(1);
    const keyIds = exported.apiKeys.map((key: { id: string }) => key.id);
    expect(keyIds).toContain(pinned.id);
    expect(keyIds).not.toContain(unpinned.id);
    expect(keyIds).not.toContain(elsewhere.id);
    const appIds = exported.oauthApps.map((app: { id: string }) => app.id);
    expect(appIds).toContain(pinnedApp.id);
    expect(appIds).not.toContain(unpinnedApp.id);
    // Sessions and login history are the account's, as their lists show them to such a key.
    expect(exported.sessions.length).toBeGreaterThan(0);

    const full = (await alice.client.get('/api/user/me/export')).body.data;
    expect(full.organizations).toHaveLength(2);
    const allKeys = full.apiKeys.map((key: { id: string }) => key.id);
    expect(allKeys).toEqual(expect.arrayContaining([unpinned.id, elsewhere.id, pinned.id]));
    expect(full.oauthApps.map((app: { id: string }) => app.id)).toEqual(
      expect.arrayContaining([pinnedApp.id, unpinnedApp.id]),
    );
  });

  it('leaves out the keys of a key that may not list keys', async () => {
    const reader = await createKey(alice.client, { name: 'profile only', scopes: ['user:read'] });
    const exported = (await keyClient(stack, reader.key).get('/api/user/me/export')).body.data;
    expect(exported.apiKeys).toEqual([]);
    expect(exported.organizations).toHaveLength(2);
  });
});
