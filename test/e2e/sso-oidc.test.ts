import { createHash, randomBytes } from 'node:crypto';
import { eventually } from '@gatehouse/service-kit/testing';
import { type MutableResponse, type MutableToken, OAuth2Issuer, OAuth2Server } from 'oauth2-mock-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse, type Json } from '../support/client.js';
import { TestDnsServer } from '../support/dns-server.js';
import { PASSWORD, signedInUser, verifiedUser } from '../support/flows.js';
import { addVerifiedDomain, uniqueDomain } from '../support/sso.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * OIDC enterprise sign-in through the gateway against oauth2-mock-server, an independently written
 * OpenID provider on loopback: its discovery, JWKS, authorization and token endpoints are real HTTP,
 * its ID tokens are really signed. Connections and domains are set up through the admin routes, the
 * domain proven through a real DNS server (dns2) on loopback.
 */

let stack: Stack;
let dns: TestDnsServer;
let idp: OAuth2Server;
/** What the IdP says about the person in the next ID token (sub, email, email_verified, name, groups…). */
let claims: Record<string, unknown>;
/** Changes to the next ID token only, made after the claims (a wrong nonce or issuer). */
let tamper: ((payload: Record<string, unknown>) => void) | null;
/** Replaces the token endpoint's ID token (one signed by a key the IdP never published). */
let replaceIdToken: string | null;

beforeAll(async () => {
  dns = new TestDnsServer();
  await dns.start();
  idp = new OAuth2Server();
  await idp.issuer.keys.generate('RS256');
  await idp.start(0, '127.0.0.1');
  idp.service.on('beforeTokenSigning', (token: MutableToken) => {
    Object.assign(token.payload, claims);
    // Only the ID token carries a nonce (oauth2-mock-server adds it before this event).
    if ('nonce' in token.payload) tamper?.(token.payload);
  });
  idp.service.on('beforeResponse', (response: MutableResponse) => {
    const body = response.body as Record<string, unknown>;
    if (replaceIdToken && typeof body.id_token === 'string') body.id_token = replaceIdToken;
  });
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' },
    { DNS_SERVERS: dns.address },
  );
});
afterAll(async () => {
  await stack?.close();
  await idp?.stop();
  await dns?.close();
});
beforeEach(() => {
  tamper = null;
  replaceIdToken = null;
});

interface Organization {
  owner: Awaited<ReturnType<typeof verifiedUser>>;
  base: string;
  domain: string;
  connectionId: string;
}

/** A verified owner, a DNS-verified domain and an enabled OIDC connection serving it. */
async function organizationWithOidc(
  settings: Json = {},
  options: { domain?: string; ownerEmail?: string } = {},
): Promise<Organization> {
  const owner = await verifiedUser(stack, 'Olga Owner', options.ownerEmail);
  const base = `/api/user/organizations/${owner.organizationId}`;
  const domain = options.domain ?? uniqueDomain('acme');
  await addVerifiedDomain(owner.client, dns, base, domain);
  const created = await owner.client.post(`${base}/sso-connections`, {
    type: 'oidc',
    name: 'Acme IdP',
    issuer: idp.issuer.url,
    clientId: 'gatehouse-client',
    clientSecret: 'a-client-secret-for-the-test',
    domains: [domain],
    ...settings,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { owner, base, domain, connectionId: created.body.data.id };
}

async function addDomain(client: ApiClient, base: string, domain: string) {
  const added = await client.post(`${base}/domains`, { domain });
  expect(added.status, JSON.stringify(added.body)).toBe(201);
  return added.body.data as { id: string; verification: { name: string; value: string } };
}

function person(email: string, extra: Record<string, unknown> = {}) {
  return { sub: `idp-${randomBytes(6).toString('hex')}`, email, email_verified: true, name: 'Sam Single', ...extra };
}

function pathOf(location: string): string {
  const url = new URL(location);
  return `${url.pathname}${url.search}`;
}

/** GET discover: the browser is sent to the IdP with the state cookie set. */
async function discover(browser: ApiClient, email: string, returnTo?: string): Promise<ApiResponse> {
  const query = new URLSearchParams({ email });
  if (returnTo !== undefined) query.set('returnTo', returnTo);
  return browser.get(`/api/auth/sso/discover?${query}`);
}

/** The IdP's authorization endpoint answers at once with a redirect to our callback (no login page). */
async function idpRedirectThrough(authorizeUrl: string): Promise<string> {
  const answer = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(answer.status).toBe(302);
  return answer.headers.get('location') as string;
}

/** identify → discover → IdP → callback; answers the callback's response and the callback URL. */
async function ssoSignIn(
  browser: ApiClient,
  email: string,
  options: { returnTo?: string; callback?: (url: URL) => void } = {},
) {
  const started = await discover(browser, email, options.returnTo);
  expect(started.status, JSON.stringify(started.body)).toBe(302);
  const authorize = new URL(started.headers.get('location') as string);
  expect(authorize.origin).toBe(new URL(idp.issuer.url as string).origin);
  const callbackUrl = new URL(await idpRedirectThrough(authorize.toString()));
  options.callback?.(callbackUrl);
  const finished = await browser.get(pathOf(callbackUrl.toString()));
  return { started, authorize, callbackUrl, finished };
}

function expectRefused(response: ApiResponse, reason: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(403);
  expect(response.body.code).toBe('FORBIDDEN');
  expect(response.body.meta?.reason).toBe(reason);
  expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('gatehouse_session='))).toBe(false);
}

async function members(org: Organization) {
  const listed = await org.owner.client.get(`${org.base}/members`);
  expect(listed.status).toBe(200);
  return listed.body.data as Array<{ userId: string; role: string; email: string | null; name: string | null }>;
}

describe('identify', () => {
  it("answers 'sso' only for a verified domain's enabled connection, 'password' alike for the rest", async () => {
    const org = await organizationWithOidc();
    const unverified = uniqueDomain('unproven');
    await addDomain(org.owner.client, org.base, unverified);
    const both = await org.owner.client.put(`${org.base}/sso-connections/${org.connectionId}`, {
      domains: [org.domain, unverified],
    });
    expect(both.status, JSON.stringify(both.body)).toBe(200);
    const existing = await signedInUser(stack, 'Pat Password', `pat@${unverified}`);
    const anyone = new ApiClient(stack.urls.gateway);

    const routed = await anyone.post('/api/auth/identify', { email: `someone@${org.domain.toUpperCase()}` });
    expect(routed.status).toBe(200);
    expect(routed.body.data).toEqual({
      method: 'sso',
      ssoProvider: { id: org.connectionId, name: 'Acme IdP', type: 'oidc' },
      ssoRedirectUrl: `${stack.urls.gateway}/api/auth/sso/discover?email=someone%40${org.domain}`,
    });
    for (const email of [`nobody@${unverified}`, existing.email, 'stranger@example.org']) {
      const answer = await anyone.post('/api/auth/identify', { email });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toEqual({ method: 'password' });
    }
    expect((await discover(anyone, `nobody@${unverified}`)).status).toBe(404);
  });
});

describe('OIDC sign-in', () => {
  it('creates the user and the membership just in time, then signs the same account in again', async () => {
    const org = await organizationWithOidc();
    const email = `new.person@${org.domain}`;
    claims = person(email, { name: 'Nina New' });
    const browser = new ApiClient(stack.urls.gateway);
    const { authorize, finished } = await ssoSignIn(browser, email, { returnTo: '/welcome?first=1' });

    // The authorization request: code flow with PKCE S256, state and nonce, our one redirect URI.
    expect(authorize.searchParams.get('response_type')).toBe('code');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${stack.urls.gateway}/api/auth/sso/callback`);

    expect(finished.status, JSON.stringify(finished.body)).toBe(302);
    expect(finished.headers.get('location')).toBe('/welcome?first=1');
    const me = await browser.get('/api/user/me');
    expect(me.status).toBe(200);
    expect(me.body.data).toMatchObject({ email, fullName: 'Nina New', isVerified: true });
    expect(me.body.data.organizationCount).toBeGreaterThanOrEqual(1);
    const userId: string = me.body.data.id;
    const organizations = await browser.get('/api/user/organizations');
    expect(organizations.body.data.map((o: { id: string }) => o.id)).toContain(org.owner.organizationId);
    expect(await members(org)).toContainEqual(
      expect.objectContaining({ userId, role: 'member', email, name: 'Nina New' }),
    );
    const sessions = await stack.identity.deps.orm.em
      .fork()
      .execute('select sso_connection_id from sessions where user_id = ?', [userId]);
    expect(sessions).toEqual([{ sso_connection_id: org.connectionId }]);
    const history = await browser.get('/api/user/me/login-history');
    expect(history.body.data[0]).toMatchObject({ method: 'sso', success: true });
    // No password was ever chosen: password sign-in fails.
    const password = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email,
      password: PASSWORD,
    });
    expect(password.status).toBe(401);

    // The second sign-in finds the (connection, subject) link; the IdP's new name is taken.
    claims = { ...claims, name: 'Nina Renamed' };
    const again = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(again, email)).finished.status).toBe(302);
    const meAgain = await again.get('/api/user/me');
    expect(meAgain.body.data).toMatchObject({ id: userId, fullName: 'Nina Renamed' });
  });

  it('maps a claim to a role, and a later sign-in without it moves the member back to the default role', async () => {
    const org = await organizationWithOidc({
      roleMapping: [{ attribute: 'groups', value: 'eng-admins', role: 'admin' }],
    });
    const email = `admin.person@${org.domain}`;
    claims = person(email, { groups: ['staff', 'eng-admins'] });
    const browser = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(browser, email)).finished.status).toBe(302);
    const userId: string = (await browser.get('/api/user/me')).body.data.id;
    expect(await members(org)).toContainEqual(expect.objectContaining({ userId, role: 'admin' }));

    claims = { ...claims, groups: ['staff'] };
    expect((await ssoSignIn(new ApiClient(stack.urls.gateway), email)).finished.status).toBe(302);
    expect(await members(org)).toContainEqual(expect.objectContaining({ userId, role: 'member' }));
  });

  it('an owner signing in through SSO stays owner whatever the mapping says', async () => {
    const domain = uniqueDomain('owned');
    const org = await organizationWithOidc({}, { domain, ownerEmail: `boss@${domain}` });
    claims = person(org.owner.email);
    const browser = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(browser, org.owner.email)).finished.status).toBe(302);
    expect((await browser.get('/api/user/me')).body.data.id).toBe(org.owner.userId);
    const listed = await browser.get(`${org.base}/members`);
    const ownerRow = listed.body.data.find((member: { userId: string }) => member.userId === org.owner.userId);
    expect(ownerRow?.role).toBe('owner');
  });

  it('links an existing password account of a verified domain and ends its other sessions', async () => {
    const org = await organizationWithOidc();
    const existing = await verifiedUser(stack, 'Paula Password', `paula@${org.domain}`);
    expect((await existing.client.get('/api/user/me')).status).toBe(200);
    claims = person(existing.email);
    const browser = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(browser, existing.email)).finished.status).toBe(302);
    expect((await browser.get('/api/user/me')).body.data.id).toBe(existing.userId);
    await eventually(async () => {
      expect((await existing.client.get('/api/user/me')).status).toBe(401);
    }, 10_000);
    expect(await members(org)).toContainEqual(expect.objectContaining({ userId: existing.userId, role: 'member' }));
  });

  it('takes over an unverified account someone registered with the address: its credentials and password end', async () => {
    const org = await organizationWithOidc();
    const squatter = await signedInUser(stack, 'Sly Squatter', `ceo@${org.domain}`);
    claims = person(squatter.email);
    const browser = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(browser, squatter.email)).finished.status).toBe(302);
    expect((await browser.get('/api/user/me')).body.data).toMatchObject({ id: squatter.userId, isVerified: true });
    await eventually(async () => {
      expect((await squatter.client.get('/api/user/me')).status).toBe(401);
    }, 10_000);
    const password = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: squatter.email,
      password: PASSWORD,
    });
    expect(password.status).toBe(401);
  });

  it('never links an existing account whose domain is not verified for the connection', async () => {
    const org = await organizationWithOidc();
    const other = uniqueDomain('elsewhere');
    await addDomain(org.owner.client, org.base, other);
    await org.owner.client.put(`${org.base}/sso-connections/${org.connectionId}`, { domains: [org.domain, other] });
    const victim = await verifiedUser(stack, 'Victor Victim', `victor@${other}`);
    // The person enters an address of the verified domain; the IdP asserts the victim's address.
    claims = person(victim.email);
    const browser = new ApiClient(stack.urls.gateway);
    const { finished } = await ssoSignIn(browser, `someone@${org.domain}`);
    expectRefused(finished, 'SSO_DOMAIN_NOT_VERIFIED');
    expect((await victim.client.get('/api/user/me')).status).toBe(200);
  });

  it('never plants an account for an address outside the connection’s verified domains', async () => {
    const org = await organizationWithOidc();
    // The IdP asserts an address of a domain nobody proved: no account, no link, so the address's real
    // owner can still sign up, and the IdP can never sign in as them later.
    const planted = `ceo@${uniqueDomain('someone-else')}`;
    claims = person(planted);
    const { finished } = await ssoSignIn(new ApiClient(stack.urls.gateway), `someone@${org.domain}`);
    expectRefused(finished, 'SSO_DOMAIN_NOT_VERIFIED');
    const owner = await signedInUser(stack, 'Real Owner', planted);
    expect((await owner.client.get('/api/user/me')).body.data.email).toBe(planted);
  });

  it('honours email_verified: false never links an existing account and never verifies a new one', async () => {
    const org = await organizationWithOidc();
    const existing = await verifiedUser(stack, 'Erin Existing', `erin@${org.domain}`);
    claims = person(existing.email, { email_verified: false });
    const refused = (await ssoSignIn(new ApiClient(stack.urls.gateway), existing.email)).finished;
    expectRefused(refused, 'SSO_ACCOUNT_NOT_LINKABLE');
    expect((await existing.client.get('/api/user/me')).status).toBe(200);

    const email = `fresh@${org.domain}`;
    claims = person(email, { email_verified: 'true' });
    const browser = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(browser, email)).finished.status).toBe(302);
    expect((await browser.get('/api/user/me')).body.data).toMatchObject({ email, isVerified: false });
  });

  it('sends the browser only to an allowed returnTo', async () => {
    const org = await organizationWithOidc();
    const browser = new ApiClient(stack.urls.gateway);
    for (const returnTo of [
      '//evil.com',
      'https://evil.com/',
      '/\\evil.com',
      'javascript:alert(1)',
      '/%2F%2Fevil.com',
      '%2F%2Fevil.com',
      `${stack.urls.gateway}.evil.com/`,
    ]) {
      const refused = await discover(browser, `x@${org.domain}`, returnTo);
      expect(refused.status, returnTo).toBe(400);
      expect(refused.body.code).toBe('VALIDATION_ERROR');
    }
    const identified = await browser.post('/api/auth/identify', { email: `x@${org.domain}`, returnTo: '//evil.com' });
    expect(identified.status).toBe(400);
    claims = person(`ret@${org.domain}`);
    const absolute = `${stack.urls.gateway}/dashboard`;
    expect(
      (await ssoSignIn(browser, `ret@${org.domain}`, { returnTo: absolute })).finished.headers.get('location'),
    ).toBe(absolute);
  });
});

describe('OIDC sign-in refuses', () => {
  let org: Organization;
  let email: string;
  beforeAll(async () => {
    org = await organizationWithOidc();
  });
  beforeEach(() => {
    email = `target-${randomBytes(4).toString('hex')}@${org.domain}`;
    claims = person(email);
  });

  it('a callback without the state cookie (a link sent to another browser)', async () => {
    const started = await discover(new ApiClient(stack.urls.gateway), email);
    const callback = await idpRedirectThrough(started.headers.get('location') as string);
    expectRefused(await new ApiClient(stack.urls.gateway).get(pathOf(callback)), 'SSO_STATE_MISSING');
  });

  it("a state that is not this browser's", async () => {
    const attacker = new ApiClient(stack.urls.gateway);
    const attackerCallback = await idpRedirectThrough(
      (await discover(attacker, email)).headers.get('location') as string,
    );
    const victim = new ApiClient(stack.urls.gateway);
    await discover(victim, email);
    expectRefused(await victim.get(pathOf(attackerCallback)), 'SSO_STATE_INVALID');
  });

  it('a state used once already', async () => {
    const browser = new ApiClient(stack.urls.gateway);
    const started = await discover(browser, email);
    const cookie = browser.cookieHeader();
    const callback = await idpRedirectThrough(started.headers.get('location') as string);
    expect((await browser.get(pathOf(callback))).status).toBe(302);
    const replay = await new ApiClient(stack.urls.gateway).get(pathOf(callback), { cookie });
    expectRefused(replay, 'SSO_STATE_USED');
  });

  it('an ID token with another nonce', async () => {
    tamper = (payload) => {
      payload.nonce = 'a-nonce-of-another-sign-in';
    };
    expectRefused((await ssoSignIn(new ApiClient(stack.urls.gateway), email)).finished, 'SSO_IDP_RESPONSE_INVALID');
  });

  it('an authorization response naming another issuer (RFC 9207 iss)', async () => {
    const { finished } = await ssoSignIn(new ApiClient(stack.urls.gateway), email, {
      callback: (url) => url.searchParams.set('iss', 'https://evil.example'),
    });
    expectRefused(finished, 'SSO_IDP_RESPONSE_INVALID');
  });

  it('an ID token issued by someone else', async () => {
    tamper = (payload) => {
      payload.iss = 'https://evil.example';
    };
    expectRefused((await ssoSignIn(new ApiClient(stack.urls.gateway), email)).finished, 'SSO_IDP_RESPONSE_INVALID');
  });

  it('an ID token signed by a key the IdP never published', async () => {
    const forger = new OAuth2Issuer();
    forger.url = idp.issuer.url;
    await forger.keys.generate('RS256');
    const browser = new ApiClient(stack.urls.gateway);
    const started = await discover(browser, email);
    const nonce = new URL(started.headers.get('location') as string).searchParams.get('nonce');
    const callback = await idpRedirectThrough(started.headers.get('location') as string);
    // Everything right (issuer, audience, nonce, claims) but the key.
    replaceIdToken = await forger.buildToken({
      scopesOrTransform: (_header, forged) => Object.assign(forged, claims, { aud: 'gatehouse-client', nonce }),
    });
    expectRefused(await browser.get(pathOf(callback)), 'SSO_IDP_RESPONSE_INVALID');
  });

  it('a disabled connection at once, even for a sign-in already started; a deleted one too', async () => {
    const browser = new ApiClient(stack.urls.gateway);
    const started = await discover(browser, email);
    const callback = await idpRedirectThrough(started.headers.get('location') as string);
    const disabled = await org.owner.client.put(`${org.base}/sso-connections/${org.connectionId}`, { enabled: false });
    expect(disabled.status).toBe(200);
    expectRefused(await browser.get(pathOf(callback)), 'SSO_CONNECTION_DISABLED');
    expect((await browser.post('/api/auth/identify', { email })).body.data).toEqual({ method: 'password' });
    expect((await discover(browser, email)).status).toBe(404);

    await org.owner.client.put(`${org.base}/sso-connections/${org.connectionId}`, { enabled: true });
    const again = new ApiClient(stack.urls.gateway);
    const restarted = await discover(again, email);
    const secondCallback = await idpRedirectThrough(restarted.headers.get('location') as string);
    expect((await org.owner.client.delete(`${org.base}/sso-connections/${org.connectionId}`)).status).toBe(200);
    expectRefused(await again.get(pathOf(secondCallback)), 'SSO_STATE_INVALID');
  });
});

describe('with SSO_ALLOW_PRIVATE_IDP off (SSRF)', () => {
  // identity's live config: what a production identity has, for the length of one test.
  const identityConfig = () => stack.identity.deps.config as { SSO_ALLOW_PRIVATE_IDP: boolean };
  const allowPrivate = (allowed: boolean) => {
    identityConfig().SSO_ALLOW_PRIVATE_IDP = allowed;
  };
  afterEach(() => allowPrivate(true));

  it('refuses an issuer on a loopback, private or link-local address, or a name resolving there', async () => {
    const org = await organizationWithOidc();
    allowPrivate(false);
    const port = new URL(idp.issuer.url as string).port;
    for (const issuer of [
      idp.issuer.url as string,
      'https://10.0.0.1',
      'https://[::1]',
      'https://169.254.169.254',
      'https://100.64.0.1',
      `http://localhost:${port}`,
      'https://localhost',
    ]) {
      const created = await org.owner.client.post(`${org.base}/sso-connections`, {
        type: 'oidc',
        name: 'Inside',
        issuer,
        clientId: 'c',
        clientSecret: 's',
      });
      expect(created.status, issuer).toBe(400);
      expect(created.body.meta.errors.map((error: { field: string }) => error.field)).toEqual(['issuer']);
      const updated = await org.owner.client.put(`${org.base}/sso-connections/${org.connectionId}`, { issuer });
      expect(updated.status, issuer).toBe(400);
      expect(updated.body.meta.errors.map((error: { field: string }) => error.field)).toEqual(['issuer']);
    }
  });

  it('refuses to start a sign-in through a connection whose IdP is on loopback', async () => {
    const org = await organizationWithOidc();
    allowPrivate(false);
    expectRefused(await discover(new ApiClient(stack.urls.gateway), `sam@${org.domain}`), 'SSO_CONNECTION_DISABLED');
    allowPrivate(true);
    expect((await discover(new ApiClient(stack.urls.gateway), `sam@${org.domain}`)).status).toBe(302);
  });

  it('refuses the callback of a sign-in started before, never redeeming the code there', async () => {
    const org = await organizationWithOidc();
    const email = `late-${randomBytes(4).toString('hex')}@${org.domain}`;
    claims = person(email);
    const browser = new ApiClient(stack.urls.gateway);
    const started = await discover(browser, email);
    const callback = await idpRedirectThrough(started.headers.get('location') as string);
    let redeemed = 0;
    const count = () => {
      redeemed += 1;
    };
    idp.service.on('beforeTokenSigning', count);
    try {
      allowPrivate(false);
      expectRefused(await browser.get(pathOf(callback)), 'SSO_CONNECTION_DISABLED');
    } finally {
      idp.service.off('beforeTokenSigning', count);
    }
    expect(redeemed).toBe(0);
  });
});

describe('the IdP rotating its signing key', () => {
  it('is followed at once: tokens signed by the new key verify', async () => {
    const org = await organizationWithOidc();
    const email = `rotation@${org.domain}`;
    claims = person(email);
    expect((await ssoSignIn(new ApiClient(stack.urls.gateway), email)).finished.status).toBe(302);
    const fresh = await idp.issuer.keys.generate('RS256');
    const kids: string[] = [];
    const recordKid = (response: MutableResponse) => {
      const token = (response.body as Record<string, string>).id_token as string;
      kids.push(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid);
    };
    idp.service.on('beforeResponse', recordKid);
    try {
      // The mock signs with its keys in turn: within two sign-ins the new key signs an ID token.
      for (let attempt = 0; attempt < 2; attempt++) {
        expect((await ssoSignIn(new ApiClient(stack.urls.gateway), email)).finished.status).toBe(302);
      }
    } finally {
      idp.service.off('beforeResponse', recordKid);
    }
    expect(kids).toContain(fresh.kid);
  });
});

describe('emails an OIDC IdP sends', () => {
  it('with a second @ are refused, though the last domain is verified (x@victim.example@acme)', async () => {
    const org = await organizationWithOidc();
    claims = person(`x@victim.example@${org.domain}`);
    const { finished } = await ssoSignIn(new ApiClient(stack.urls.gateway), `x@${org.domain}`);
    expectRefused(finished, 'SSO_EMAIL_INVALID');
    const [row] = await stack.identity.deps.orm.em
      .fork()
      .execute('select count(*)::int as n from users where email like ?', [`x@victim.example@%`]);
    expect(row?.n).toBe(0);
  });

  it('are normalised before lookup: BOB@DOMAIN. is the existing bob@domain, not a second account', async () => {
    const org = await organizationWithOidc();
    const email = `bob-${randomBytes(3).toString('hex')}@${org.domain}`;
    const existing = await verifiedUser(stack, 'Bob Existing', email);
    claims = person(`${email.toUpperCase()}.`);
    const browser = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(browser, email)).finished.status).toBe(302);
    const me = await browser.get('/api/user/me');
    expect(me.body.data.id).toBe(existing.userId);
    expect(me.body.data.email).toBe(email);
  });
});

describe('OIDC proof of possession (PKCE)', () => {
  it('redeems the code with the verifier of the challenge it sent, and a fresh pair each sign-in', async () => {
    const org = await organizationWithOidc();
    const email = `pkce@${org.domain}`;
    claims = person(email);
    const verifiers: string[] = [];
    // The token request as the IdP receives it: a naive client sends a challenge and never proves it.
    const recordVerifier = (_response: MutableResponse, request: { body?: Record<string, unknown> }) => {
      if (typeof request.body?.code_verifier === 'string') verifiers.push(request.body.code_verifier);
    };
    idp.service.on('beforeResponse', recordVerifier);
    try {
      const challenges: string[] = [];
      for (let round = 0; round < 2; round++) {
        const { authorize, finished } = await ssoSignIn(new ApiClient(stack.urls.gateway), email);
        expect(finished.status, JSON.stringify(finished.body)).toBe(302);
        challenges.push(authorize.searchParams.get('code_challenge') as string);
      }
      expect(verifiers).toHaveLength(2);
      const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
      expect(verifiers.map(s256)).toEqual(challenges);
      expect(new Set(verifiers).size).toBe(2);
    } finally {
      idp.service.off('beforeResponse', recordVerifier);
    }
  });
});
