import { PRINCIPAL_HEADER } from '@gatehouse/contracts';
import { eventually, PrivateServer } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { createKey, keyClient, PASSWORD, signedInUser, uniqueEmail } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let alice: Awaited<ReturnType<typeof signedInUser>>;
let bob: Awaited<ReturnType<typeof signedInUser>>;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_SIGN_IN_MAX: '1000',
    RATE_LIMIT_SIGN_UP_MAX: '1000',
    CORS_ORIGINS: 'https://app.example.com',
  });
  alice = await signedInUser(stack, 'Alice Example');
  bob = await signedInUser(stack, 'Bob Example');
});
afterAll(async () => {
  await stack?.close();
});

describe('gateway: credentials', () => {
  it('answers 401 AUTHENTICATION_REQUIRED without a credential, NO_TOKEN_PROVIDED for an empty header', async () => {
    const anonymous = new ApiClient(stack.urls.gateway);
    expect((await anonymous.get('/api/user/me')).body).toMatchObject({ status: 401, code: 'AUTHENTICATION_REQUIRED' });
    const emptyKey = await anonymous.get('/api/user/me', { 'X-Api-Key': '' });
    expect(emptyKey.body).toMatchObject({ status: 401, code: 'NO_TOKEN_PROVIDED' });
    const emptyBearer = await anonymous.get('/api/user/me', { Authorization: 'Bearer ' });
    expect(emptyBearer.body).toMatchObject({ status: 401, code: 'NO_TOKEN_PROVIDED' });
    const badSession = await anonymous.get('/api/user/me', { cookie: 'gatehouse_session=forged' });
    expect(badSession.body).toMatchObject({ status: 401, code: 'INVALID_OR_EXPIRED_TOKEN' });
  });

  it('prefers X-Api-Key over the session cookie', async () => {
    const key = await createKey(alice.client, { name: 'read only', scopes: ['projects:read'] });
    const both = await alice.client.get('/api/user/me', { 'X-Api-Key': key.key });
    expect(both.status).toBe(403);
    expect(both.body).toMatchObject({ code: 'API_KEY_MISSING_SCOPES', meta: { requiredScopes: ['user:read'] } });
  });

  it('refuses an empty scope list and a scope outside the catalogue', async () => {
    const unknown = await alice.client.post('/api/auth/api-key/create', {
      name: 'x',
      scopes: ['user:read', 'root:everything'],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'INVALID_SCOPE', meta: { invalidScopes: ['root:everything'] } });
    const none = await alice.client.post('/api/auth/api-key/create', { name: 'x', scopes: [] });
    expect(none.status).toBe(400);
    expect(none.body.meta.errors[0].field).toBe('scopes');
  });

  it('purges a revoked key on every gateway replica within a second', async () => {
    const second = await stack.addGateway({ RATE_LIMIT_SIGN_IN_MAX: '1000' });
    const key = await createKey(alice.client, { name: 'to revoke', scopes: ['user:read'] });
    const viaFirst = keyClient(stack, key.key);
    const viaSecond = keyClient(stack, key.key, second.url);
    expect((await viaFirst.get('/api/user/me')).status).toBe(200);
    expect((await viaSecond.get('/api/user/me')).status).toBe(200);
    expect((await alice.client.post('/api/auth/api-key/delete', { keyId: key.id })).status).toBe(200);
    await eventually(
      async () => {
        expect((await viaFirst.get('/api/user/me')).body.code).toBe('INVALID_API_KEY');
        expect((await viaSecond.get('/api/user/me')).body.code).toBe('INVALID_API_KEY');
      },
      1000,
      20,
    );
  });

  it('ends a signed-out session at once', async () => {
    const user = await signedInUser(stack, 'Short Session');
    expect((await user.client.get('/api/user/me')).status).toBe(200);
    const cookie = user.client.cookieHeader();
    expect((await user.client.post('/api/auth/sign-out')).status).toBe(200);
    await eventually(
      async () => {
        const again = await new ApiClient(stack.urls.gateway).get('/api/user/me', { cookie });
        expect(again.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
      },
      1000,
      20,
    );
  });
});

describe('gateway: tenancy', () => {
  it('keeps a pinned key to its organization', async () => {
    const pinned = await createKey(alice.client, {
      name: 'pinned',
      scopes: ['user:read', 'projects:read'],
      metadata: { organizationId: alice.organizationId },
    });
    const bot = keyClient(stack, pinned.key);
    expect((await bot.get(`/api/user/organizations/${alice.organizationId}/projects`)).status).toBe(200);
    const elsewhere = await bot.get(`/api/user/organizations/${bob.organizationId}/projects`);
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.code).toBe('FORBIDDEN');
    const listed = await bot.get('/api/user/organizations');
    expect(listed.body.data.map((org: { id: string }) => org.id)).toEqual([alice.organizationId]);
  });

  it('refuses to pin a key to an organization the user is not in', async () => {
    const res = await alice.client.post('/api/auth/api-key/create', {
      name: 'sneaky',
      scopes: ['projects:read'],
      metadata: { organizationId: bob.organizationId },
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });

  it('hides another tenant behind 404 (session has every scope, but no membership)', async () => {
    const created = await bob.client.post(`/api/user/organizations/${bob.organizationId}/projects`, {
      name: 'Bob secret',
    });
    expect(created.status).toBe(201);
    const projectId = created.body.data.id;
    const probes = [
      alice.client.get(`/api/user/organizations/${bob.organizationId}`),
      alice.client.get(`/api/user/organizations/${bob.organizationId}/projects`),
      alice.client.get(`/api/user/organizations/${bob.organizationId}/projects/${projectId}`),
      alice.client.get(`/api/user/organizations/${alice.organizationId}/projects/${projectId}`),
      alice.client.put(`/api/user/organizations/${bob.organizationId}/projects/${projectId}`, { name: 'pwned' }),
      alice.client.delete(`/api/user/organizations/${bob.organizationId}/projects/${projectId}`),
      alice.client.get(`/api/user/organizations/${bob.organizationId}/members`),
    ];
    for (const res of await Promise.all(probes)) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    const still = await bob.client.get(`/api/user/organizations/${bob.organizationId}/projects/${projectId}`);
    expect(still.body.data.name).toBe('Bob secret');
  });
});

describe('gateway: edges', () => {
  it('services refuse direct calls and spoofed principals', async () => {
    const direct = await fetch(`${stack.urls.identity}/api/user/me`, {
      headers: { [PRINCIPAL_HEADER]: 'eyJhbGciOiJub25lIn0.e30.' },
    });
    expect(direct.status).toBe(401);
    expect(((await direct.json()) as { code: string }).code).toBe('AUTHENTICATION_REQUIRED');
    // A client-sent internal header is stripped; the gateway's own signed principal is what counts.
    const spoofed = await alice.client.get('/api/user/me', {
      [PRINCIPAL_HEADER]: 'forged',
      'x-gatehouse-user': bob.userId,
    });
    expect(spoofed.status).toBe(200);
    expect(spoofed.body.data.id).toBe(alice.userId);
  });

  it('speaks the envelope for unknown routes, bad JSON, wrong media type, oversized bodies and unknown fields', async () => {
    const anonymous = new ApiClient(stack.urls.gateway);
    expect((await anonymous.get('/api/nope')).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    // A GET outside the API is the console's page; any other method there is no route at all.
    expect((await anonymous.post('/elsewhere', {})).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const badJson = await anonymous.request('POST', '/api/auth/sign-in/email', {
      rawBody: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.body).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    const text = await anonymous.request('POST', '/api/auth/sign-in/email', {
      rawBody: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.body).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    const huge = await anonymous.post('/api/auth/sign-up/email', {
      email: uniqueEmail(),
      password: PASSWORD,
      name: 'x'.repeat(1_100_000),
    });
    expect(huge.body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const extra = await alice.client.post(`/api/user/organizations/${alice.organizationId}/projects`, {
      name: 'ok',
      owner: 'me',
    });
    expect(extra.status).toBe(400);
    expect(extra.body.meta.errors).toEqual([{ field: 'owner', error: 'is not allowed', location: 'body' }]);
  });

  it('propagates a sane X-Request-Id and replaces a bad one', async () => {
    const kept = await alice.client.get('/api/user/me', { 'x-request-id': 'trace-123' });
    expect(kept.headers.get('x-request-id')).toBe('trace-123');
    const replaced = await alice.client.get('/api/nope', { 'x-request-id': 'bad id with spaces' });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9A-Z]{26}$/);
    expect(replaced.body.requestId).toBe(replaced.headers.get('x-request-id'));
  });

  it('refuses cookie writes from another site, serves them without an Origin and from allowed origins', async () => {
    const path = `/api/user/organizations/${alice.organizationId}/projects`;
    const evil = await alice.client.post(path, { name: 'csrf' }, { origin: 'https://evil.example' });
    expect(evil.status).toBe(403);
    expect(evil.body.code).toBe('FORBIDDEN');
    const crossSite = await alice.client.post(path, { name: 'csrf' }, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect((await alice.client.post(path, { name: 'from curl' })).status).toBe(201);
    const allowed = await alice.client.post(path, { name: 'from app' }, { origin: 'https://app.example.com' });
    expect(allowed.status).toBe(201);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const path = `${stack.urls.gateway}/api/user/organizations/${alice.organizationId}/projects`;
    const preflight = (origin: string) =>
      fetch(path, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-api-key',
        },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers 503 SERVICE_UNAVAILABLE when an upstream is down, without hanging', async () => {
    const broken = await stack.addGateway({ PROJECT_URL: 'http://127.0.0.1:1', UPSTREAM_TIMEOUT_MS: '2000' });
    const res = await new ApiClient(broken.url).get(`/api/user/organizations/${alice.organizationId}/projects`, {
      cookie: alice.client.cookieHeader(),
    });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
    const health = await new ApiClient(broken.url).get('/healthz');
    expect(health.body.data.upstreams).toMatchObject({ identity: 'up', organization: 'up', project: 'down' });
    // An upstream down does not make the gateway unready (its breaker answers for it).
    expect((await new ApiClient(broken.url).get('/readyz')).status).toBe(200);
  });
});

describe('gateway: rate limits', () => {
  it('limits sign-in per email with RateLimit headers, Retry-After and the envelope', async () => {
    const tight = await stack.addGateway({
      RATE_LIMIT_SIGN_IN_MAX: '5',
      RATE_LIMIT_KEY_PREFIX: `gh:test:${stack.ns.id}:tight`,
    });
    const client = new ApiClient(tight.url);
    const email = uniqueEmail('limited');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const res = await client.post('/api/auth/sign-in/email', { email, password: 'wrong-password-here' });
      statuses.push(res.status);
      if (attempt === 0) {
        expect(res.headers.get('ratelimit-limit')).toBe('5');
        expect(res.headers.get('ratelimit-remaining')).toBe('4');
        expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      }
      if (attempt === 5) {
        expect(res.body).toMatchObject({ success: false, status: 429, code: 'RATE_LIMIT_ERROR' });
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(res.headers.get('ratelimit-remaining')).toBe('0');
      }
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const metrics = await (await fetch(`${tight.url}/metrics`)).text();
    expect(metrics).toMatch(/gateway_rate_limit_rejections_total\{limit="signIn(Ip|Email)"/);
  });

  it('believes X-Forwarded-For only from trusted proxies', async () => {
    const prefix = `gh:test:${stack.ns.id}:xff`;
    const trusting = new ApiClient(
      (
        await stack.addGateway({
          TRUSTED_PROXIES: '127.0.0.1',
          RATE_LIMIT_SIGN_UP_MAX: '1',
          RATE_LIMIT_KEY_PREFIX: `${prefix}:t`,
        })
      ).url,
    );
    const plain = new ApiClient(
      (await stack.addGateway({ RATE_LIMIT_SIGN_UP_MAX: '1', RATE_LIMIT_KEY_PREFIX: `${prefix}:p` })).url,
    );
    const signUp = (client: ApiClient, ip: string) =>
      client.post('/api/auth/sign-up/email', {}, { 'x-forwarded-for': ip });
    expect((await signUp(trusting, '203.0.113.1')).status).toBe(400);
    expect((await signUp(trusting, '203.0.113.1')).status).toBe(429);
    expect((await signUp(trusting, '203.0.113.2')).status).toBe(400);
    expect((await signUp(plain, '203.0.113.1')).status).toBe(400);
    expect((await signUp(plain, '203.0.113.2')).status).toBe(429);
  });

  it('keeps limiting in memory and keeps serving while Redis is down', async () => {
    const redis = PrivateServer.redis();
    await redis.start();
    try {
      const gateway = await stack.addGateway({
        REDIS_URL: redis.url,
        RATE_LIMIT_SIGN_IN_MAX: '3',
        RATE_LIMIT_KEY_PREFIX: `gh:test:${stack.ns.id}:redis`,
      });
      const client = new ApiClient(gateway.url);
      expect((await client.get('/readyz')).status).toBe(200);
      await redis.stop();
      const ready = await client.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.data.redis).toBe('down');
      expect(await (await fetch(`${gateway.url}/metrics`)).text()).toMatch(/gateway_redis_up\S* 0/);
      const me = await client.get('/api/user/me', { cookie: alice.client.cookieHeader() });
      expect(me.status).toBe(200);
      const email = uniqueEmail('redis-down');
      const statuses = [];
      for (let attempt = 0; attempt < 4; attempt++) {
        statuses.push(
          (await client.post('/api/auth/sign-in/email', { email, password: 'wrong-password-here' })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await redis.destroy();
    }
  });
});
