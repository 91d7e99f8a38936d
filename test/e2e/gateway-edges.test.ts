import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PRINCIPAL_HEADER, type Principal } from '@gatehouse/contracts';
import { createPrincipalVerifier } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import * as oauth from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { stopCheckingAnswersFrom } from '../support/contract-check.js';
import { createKey, keyClient, PASSWORD, signedInUser, uniqueEmail } from '../support/flows.js';
import { clientFor, FormBrowser, registerApp } from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * What an upstream receives from the gateway, seen from the upstream's side: a plain HTTP
 * server standing where identity's HTTP listener would (credentials still resolve through the
 * real identity over NATS). It answers 200, with the internal headers a test asks it to send.
 */
class Upstream {
  readonly received: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
  answerHeaders: Record<string, string> = {};
  private server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      this.received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json', ...this.answerHeaders });
      response.end(JSON.stringify({ success: true, status: 200, code: 'OK', message: 'ok', data: null }));
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }
}

let stack: Stack;
let upstream: Upstream;
/** A gateway replica whose identity upstream is the recording server above. */
let recorded: ApiClient;
let verifyPrincipal: (headers: IncomingHttpHeaders) => Promise<Principal>;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_SIGN_IN_MAX: '1000',
    RATE_LIMIT_SIGN_UP_MAX: '1000',
    TRUSTED_PROXIES: '127.0.0.1',
  });
  upstream = new Upstream();
  const replica = await stack.addGateway({ IDENTITY_URL: await upstream.start() });
  // Its upstream is a test double: its answers are the double's, not the API's.
  stopCheckingAnswersFrom(replica.url);
  recorded = new ApiClient(replica.url);
  const verifier = await createPrincipalVerifier(stack.keys.publicKeyPem);
  verifyPrincipal = async (headers) => (await verifier.verify(String(headers[PRINCIPAL_HEADER]))).principal;
});
afterAll(async () => {
  await stack?.close();
  await upstream?.stop();
});

/** Each attempt from its own client address, so only the per-email limit is shared. */
let address = 0;
const fromFreshAddress = () => {
  address += 1;
  return { 'x-forwarded-for': `198.51.100.${address}` };
};

describe('gateway edges: credential kinds', () => {
  it('refuses credential management to an OAuth access token with 403 FORBIDDEN', async () => {
    const alice = await signedInUser(stack, 'Alice Kinds');
    const app = await registerApp(alice.client, {
      type: 'confidential',
      scopes: ['user:read', 'api-keys:read', 'api-keys:write', 'api-keys:delete'],
    });
    const token = await oauth.clientCredentialsGrant(await clientFor(stack, app), {
      scope: 'user:read api-keys:read api-keys:write api-keys:delete',
    });
    const bearer = new ApiClient(stack.urls.gateway, { authorization: `Bearer ${token.access_token}` });
    expect((await bearer.get('/api/user/me')).status).toBe(200);
    const key = await createKey(alice.client, { name: 'victim', scopes: ['user:read'] });
    const refused = [
      await bearer.get('/api/auth/api-key/list'),
      await bearer.get(`/api/auth/api-key/get?id=${key.id}`),
      await bearer.post('/api/auth/api-key/create', { name: 'escape', scopes: ['user:read'] }),
      await bearer.post('/api/auth/api-key/update', { keyId: key.id, name: 'renamed' }),
      await bearer.post('/api/auth/api-key/delete', { keyId: key.id }),
    ];
    for (const response of refused) {
      expect(response.body).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(response.headers.get('www-authenticate')).toBeNull();
    }
    expect((await keyClient(stack, key.key).get('/api/user/me')).status).toBe(200);
  });

  it('signs a valid credential into the principal on verify-email, and treats a missing or stale one as anonymous', async () => {
    const bob = await signedInUser(stack, 'Bob Optional');
    const cookie = bob.client.cookieHeader();
    const verify = (headers: Record<string, string>) =>
      recorded.get('/api/auth/verify-email?token=whatever', headers).then(async (response) => ({
        status: response.status,
        principal: await verifyPrincipal(upstream.received.at(-1)?.headers ?? {}),
      }));

    const signedIn = await verify({ cookie });
    expect(signedIn.status).toBe(200);
    expect(signedIn.principal).toMatchObject({ kind: 'session', userId: bob.userId });
    expect(await verify({})).toEqual({ status: 200, principal: { kind: 'anonymous' } });
    expect(await verify({ cookie: 'gatehouse_session=forged' })).toEqual({
      status: 200,
      principal: { kind: 'anonymous' },
    });
    expect(await verify({ 'x-api-key': '' })).toEqual({ status: 200, principal: { kind: 'anonymous' } });

    expect((await bob.client.post('/api/auth/sign-out')).status).toBe(200);
    await eventually(async () => {
      expect(await verify({ cookie })).toEqual({ status: 200, principal: { kind: 'anonymous' } });
    }, 2000);
  });
});

describe('gateway edges: email shape on limited routes', () => {
  it('a one-element array no longer bypasses the per-email sign-in limit', async () => {
    const email = uniqueEmail('carol');
    const anonymous = new ApiClient(stack.urls.gateway);
    expect((await anonymous.post('/api/auth/sign-up/email', { email, password: PASSWORD, name: 'Carol' })).status).toBe(
      200,
    );
    // A replica with the default-like limit of 3 sign-ins per email, each try from another IP.
    const limited = new ApiClient((await stack.addGateway({ RATE_LIMIT_SIGN_IN_MAX: '3' })).url);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const wrong = await limited.post(
        '/api/auth/sign-in/email',
        { email, password: 'not-her-password' },
        fromFreshAddress(),
      );
      expect(wrong.status).toBe(401);
    }
    const spent = await limited.post('/api/auth/sign-in/email', { email, password: PASSWORD }, fromFreshAddress());
    expect(spent.status).toBe(429);
    const wrapped = await limited.post(
      '/api/auth/sign-in/email',
      { email: [email], password: PASSWORD },
      fromFreshAddress(),
    );
    expect(wrapped.body).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      meta: { errors: [{ field: 'email', location: 'body' }] },
    });
  });

  it('refuses a non-string email at the gateway on every email-limited route, never proxying it', async () => {
    const routes = ['/api/auth/sign-in/email', '/api/auth/request-password-reset', '/api/auth/send-verification-email'];
    for (const path of routes) {
      for (const email of [['a@example.com'], 42, { $ne: '' }, null, true]) {
        const before = upstream.received.length;
        const response = await recorded.post(path, { email, password: PASSWORD }, fromFreshAddress());
        expect(response.body, `${path} ${JSON.stringify(email)}`).toMatchObject({
          status: 400,
          code: 'VALIDATION_ERROR',
          meta: { errors: [{ field: 'email', location: 'body' }] },
        });
        expect(upstream.received.length).toBe(before);
      }
      // A string email (and an absent one, which the service refuses itself) is proxied as before.
      expect((await recorded.post(path, { email: 'a@example.com' }, fromFreshAddress())).status).toBe(200);
    }
  });

  it('refuses a login form that repeats the email field', async () => {
    const before = upstream.received.length;
    const response = await recorded.request('POST', '/oauth2/interaction/some-uid/login', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...fromFreshAddress() },
      rawBody: 'email=a%40example.com&email=b%40example.com&password=x',
    });
    expect(response.body).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      meta: { errors: [{ field: 'email', location: 'body' }] },
    });
    expect(upstream.received.length).toBe(before);
  });

  it('refuses a login form sent as JSON, whose email the limit cannot read (415, never proxied)', async () => {
    const before = upstream.received.length;
    const response = await recorded.request('POST', '/oauth2/interaction/some-uid/login', {
      headers: fromFreshAddress(),
      json: { email: 'a@example.com', password: 'x' },
    });
    expect(response.body).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(upstream.received.length).toBe(before);
  });
});

describe('gateway edges: what only the person may do', () => {
  it('refuses change-password and account deletion to a key or an app, and limits password guesses per account', async () => {
    const erin = await signedInUser(stack, 'Erin Person');
    const key = await createKey(erin.client, { name: 'writer', scopes: ['user:read', 'user:write'] });
    const byKey = keyClient(stack, key.key);
    const guess = { currentPassword: 'not-the-password', newPassword: 'another-long-passphrase' };
    expect((await byKey.post('/api/auth/change-password', guess)).body).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect((await byKey.delete('/api/user/me')).body).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    // The session may, but guessing costs what sign-in costs (5 a minute here), whichever address it comes from.
    const limited = await stack.addGateway({ RATE_LIMIT_SIGN_IN_MAX: '5' });
    const session = new ApiClient(limited.url, { cookie: erin.client.cookieHeader() });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 7; attempt += 1) {
      statuses.push((await session.post('/api/auth/change-password', guess, fromFreshAddress())).status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect((await erin.client.get('/api/user/me')).status).toBe(200);
  });

  it('refuses account-wide routes to a key pinned to one organization', async () => {
    const frank = await signedInUser(stack, 'Frank Pinned');
    const pinned = await createKey(frank.client, {
      name: 'pinned',
      scopes: ['user:read', 'user:write', 'organizations:write'],
      metadata: { organizationId: frank.organizationId },
    });
    const byPinned = keyClient(stack, pinned.key);
    const sessions = await frank.client.get('/api/user/sessions');
    const refused = [
      await byPinned.get('/api/user/sessions'),
      await byPinned.delete(`/api/user/sessions/${sessions.body.data[0].id}`),
      await byPinned.put('/api/user/me', { fullName: 'Someone Else' }),
      await byPinned.post('/api/user/organizations', { name: 'Side Business' }),
      await byPinned.post('/api/user/invites/not-a-real-token/accept'),
    ];
    for (const response of refused) expect(response.body).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    // What belongs to its organization still works.
    expect((await byPinned.get(`/api/user/organizations/${frank.organizationId}`)).status).toBe(200);
  });
});

describe('gateway edges: revocation comes before its answer', () => {
  it('refuses a signed-out cookie on the very next request to the same gateway', async () => {
    const dave = await signedInUser(stack, 'Dave Signout');
    // Sign-ins go through a replica with room for them; everything else through the first gateway.
    const signInGateway = await stack.addGateway({ RATE_LIMIT_SIGN_IN_MAX: '1000' });
    const anonymous = new ApiClient(stack.urls.gateway);
    const client = new ApiClient(stack.urls.gateway);
    const stale: number[] = [];
    for (let round = 0; round < 20; round += 1) {
      const signIn = await client.post(`${signInGateway.url}/api/auth/sign-in/email`, {
        email: dave.email,
        password: PASSWORD,
      });
      expect(signIn.status).toBe(200);
      const cookie = client.cookieHeader();
      expect((await client.get('/api/user/me')).status).toBe(200);
      expect((await client.post('/api/auth/sign-out')).status).toBe(200);
      const reused = await anonymous.get('/api/user/me', { cookie });
      if (reused.status !== 401) stale.push(round);
    }
    expect(stale).toEqual([]);
  });

  it('refuses a deleted key at once on the gateway that deleted it, and within a second on another', async () => {
    const erin = await signedInUser(stack, 'Erin Keys');
    const second = await stack.addGateway();
    const stale: number[] = [];
    for (let round = 0; round < 10; round += 1) {
      const key = await createKey(erin.client, { name: `round ${round}`, scopes: ['user:read'] });
      const viaFirst = keyClient(stack, key.key);
      const viaSecond = keyClient(stack, key.key, second.url);
      expect((await viaFirst.get('/api/user/me')).status).toBe(200);
      expect((await viaSecond.get('/api/user/me')).status).toBe(200);
      expect((await erin.client.post('/api/auth/api-key/delete', { keyId: key.id })).status).toBe(200);
      if ((await viaFirst.get('/api/user/me')).status !== 401) stale.push(round);
      await eventually(
        async () => expect((await viaSecond.get('/api/user/me')).body.code).toBe('INVALID_API_KEY'),
        1000,
        20,
      );
    }
    expect(stale).toEqual([]);
  });

  it('refuses a cookie signed out at the authorization server on the very next request', async () => {
    const frank = await signedInUser(stack, 'Frank Logout');
    const signInGateway = await stack.addGateway({ RATE_LIMIT_SIGN_IN_MAX: '1000' });
    const stale: number[] = [];
    for (let round = 0; round < 10; round += 1) {
      const client = new ApiClient(stack.urls.gateway);
      await client.post(`${signInGateway.url}/api/auth/sign-in/email`, { email: frank.email, password: PASSWORD });
      const cookie = client.cookieHeader();
      expect((await client.get('/api/user/me')).status).toBe(200);
      const session = cookie.replace(/^.*gatehouse_session=([^;]+).*$/, '$1');
      const browser = new FormBrowser({ gatehouse_session: session });
      const logout = await browser.fetch(`${stack.urls.gateway}/oauth2/session/end`);
      const xsrf = logout.text.match(/name="xsrf" value="([^"]+)"/)?.[1] as string;
      // The cookie is tried the moment the confirmation answers, before its redirect is followed.
      const confirmed = await browser.fetch(`${stack.urls.gateway}/oauth2/session/end/confirm`, {
        method: 'POST',
        form: { xsrf, logout: 'yes' },
      });
      if ((await client.get('/api/user/me', { cookie })).status !== 401) stale.push(round);
      expect(confirmed.status).toBe(303);
      expect(browser.cookie('gatehouse_session')).toBeUndefined();
    }
    expect(stale).toEqual([]);
  });

  it('never forwards an internal x-gatehouse-* response header to the client', async () => {
    upstream.answerHeaders = { 'x-gatehouse-revoked': '01UNKNOWN', 'x-gatehouse-anything': 'secret' };
    try {
      const api = await recorded.post('/api/auth/request-password-reset', { email: 'a@example.com' });
      const authorizationServer = await recorded.get('/oauth2/jwks');
      for (const response of [api, authorizationServer]) {
        expect(response.status).toBe(200);
        expect(response.headers.get('x-gatehouse-revoked')).toBeNull();
        expect(response.headers.get('x-gatehouse-anything')).toBeNull();
      }
    } finally {
      upstream.answerHeaders = {};
    }
  });
});
