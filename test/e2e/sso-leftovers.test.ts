import { randomBytes } from 'node:crypto';
import { SSO_STATE_COOKIE } from '@gatehouse/contracts';
import { type MutableToken, OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse, type Json } from '../support/client.js';
import { TestDnsServer } from '../support/dns-server.js';
import { signedInUser, verifiedUser } from '../support/flows.js';
import { keyPair } from '../support/saml-idp.js';
import { addVerifiedDomain, uniqueDomain } from '../support/sso.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * SSO edge cases found in review, through the gateway against real IdPs on loopback (oauth2-mock-server,
 * twice where a connection moves from one IdP to another) and a real DNS server for domain proof:
 * a stray visit to the callback, a connection changing its IdP, an IdP vouching for an address later,
 * and a sign-in refused after its account was made.
 */

let stack: Stack;
let dns: TestDnsServer;
let idp: OAuth2Server;
let otherIdp: OAuth2Server;
/** What either IdP says about the person in the next ID token. */
let claims: Record<string, unknown>;

async function startIdp(): Promise<OAuth2Server> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  server.service.on('beforeTokenSigning', (token: MutableToken) => {
    Object.assign(token.payload, claims);
  });
  return server;
}

beforeAll(async () => {
  dns = new TestDnsServer();
  await dns.start();
  idp = await startIdp();
  otherIdp = await startIdp();
  stack = await startStack(
    {
      RATE_LIMIT_SIGN_IN_MAX: '1000',
      RATE_LIMIT_SIGN_UP_MAX: '1000',
      RATE_LIMIT_SSO_START_MAX: '1000',
      RATE_LIMIT_SSO_FINISH_MAX: '1000',
    },
    { DNS_SERVERS: dns.address },
  );
});
afterAll(async () => {
  await stack?.close();
  await idp?.stop();
  await otherIdp?.stop();
  await dns?.close();
});

const subject = () => `idp-${randomBytes(6).toString('hex')}`;

interface Organization {
  owner: Awaited<ReturnType<typeof verifiedUser>>;
  base: string;
  domain: string;
  connectionId: string;
}

/** A verified owner, a domain proven over DNS, and an enabled OIDC connection to `idp` serving it. */
async function organizationWithOidc(): Promise<Organization> {
  const owner = await verifiedUser(stack, 'Olga Owner');
  const base = `/api/user/organizations/${owner.organizationId}`;
  const domain = uniqueDomain('acme');
  await addVerifiedDomain(owner.client, dns, base, domain);
  const created = await owner.client.post(`${base}/sso-connections`, {
    type: 'oidc',
    name: 'Acme IdP',
    issuer: idp.issuer.url,
    clientId: 'gatehouse-client',
    clientSecret: 'a-client-secret-for-the-test',
    domains: [domain],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { owner, base, domain, connectionId: created.body.data.id };
}

const pathOf = (location: string) => {
  const url = new URL(location);
  return `${url.pathname}${url.search}`;
};

/** discover, then the IdP's authorization endpoint, which answers at once with our callback URL. */
async function startAndAuthorize(browser: ApiClient, email: string) {
  const started = await browser.get(`/api/auth/sso/discover?${new URLSearchParams({ email })}`);
  expect(started.status, JSON.stringify(started.body)).toBe(302);
  const authorize = new URL(started.headers.get('location') as string);
  const answer = await fetch(authorize, { redirect: 'manual' });
  expect(answer.status).toBe(302);
  return { authorize, callback: pathOf(answer.headers.get('location') as string) };
}

async function ssoSignIn(browser: ApiClient, email: string): Promise<ApiResponse> {
  const { callback } = await startAndAuthorize(browser, email);
  return browser.get(callback);
}

function expectRefused(response: ApiResponse, reason: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(403);
  expect(response.body.meta?.reason).toBe(reason);
}

const clearsState = (response: ApiResponse) =>
  response.headers.getSetCookie().some((cookie) => cookie.startsWith(`${SSO_STATE_COOKIE}=;`));

const db = () => stack.identity.deps.orm.em.fork();

async function linksOf(connectionId: string): Promise<Array<{ subject: string; user_id: string }>> {
  return db().execute('select subject, user_id from sso_identities where connection_id = ? order by subject', [
    connectionId,
  ]);
}

describe('a visit to the OIDC callback URL that is not the IdP’s answer', () => {
  it('leaves the sign-in in progress: refused, the state cookie kept and unspent', async () => {
    const org = await organizationWithOidc();
    const email = `patient@${org.domain}`;
    claims = { sub: subject(), email, email_verified: true, name: 'Pat Patient' };
    const browser = new ApiClient(stack.urls.gateway);
    const { authorize, callback } = await startAndAuthorize(browser, email);
    const state = authorize.searchParams.get('state') as string;

    // Any page can send the browser here: with another state, or the right one and a made-up code.
    const stray = await browser.get('/api/auth/sso/callback?code=made-up&state=not-the-state');
    expectRefused(stray, 'SSO_STATE_INVALID');
    expect(clearsState(stray)).toBe(false);
    const forgedCode = await browser.get(`/api/auth/sso/callback?${new URLSearchParams({ code: 'made-up', state })}`);
    expectRefused(forgedCode, 'SSO_IDP_RESPONSE_INVALID');
    expect(clearsState(forgedCode)).toBe(false);

    const finished = await browser.get(callback);
    expect(finished.status, JSON.stringify(finished.body)).toBe(302);
    expect(clearsState(finished)).toBe(true);
    expect((await browser.get('/api/user/me')).body.data.email).toBe(email);
  });
});

describe('a connection whose IdP changes', () => {
  it('drops the links the old IdP made: its subjects mean nobody at the new one', async () => {
    const org = await organizationWithOidc();
    const sharedSubject = subject();
    const alice = `alice@${org.domain}`;
    claims = { sub: sharedSubject, email: alice, email_verified: true, name: 'Alice Old' };
    const aliceBrowser = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(aliceBrowser, alice)).status).toBe(302);
    const aliceId: string = (await aliceBrowser.get('/api/user/me')).body.data.id;

    // A change that keeps the IdP keeps the links.
    const renamed = await org.owner.client.put(`${org.base}/sso-connections/${org.connectionId}`, { name: 'Acme' });
    expect(renamed.status).toBe(200);
    expect(await linksOf(org.connectionId)).toEqual([{ subject: sharedSubject, user_id: aliceId }]);

    const moved = await org.owner.client.put(`${org.base}/sso-connections/${org.connectionId}`, {
      issuer: otherIdp.issuer.url,
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(await linksOf(org.connectionId)).toEqual([]);

    // The new IdP happens to use the same subject for someone else: that person is not Alice.
    const bob = `bob@${org.domain}`;
    claims = { sub: sharedSubject, email: bob, email_verified: true, name: 'Bob New' };
    const bobBrowser = new ApiClient(stack.urls.gateway);
    const { authorize, callback } = await startAndAuthorize(bobBrowser, bob);
    expect(authorize.origin).toBe(new URL(otherIdp.issuer.url as string).origin);
    expect((await bobBrowser.get(callback)).status).toBe(302);
    const me = (await bobBrowser.get('/api/user/me')).body.data;
    expect(me).toMatchObject({ email: bob, fullName: 'Bob New' });
    expect(me.id).not.toBe(aliceId);
    expect(await linksOf(org.connectionId)).toEqual([{ subject: sharedSubject, user_id: me.id }]);
  });

  it('drops them too when a SAML connection gets another IdP entity id', async () => {
    const owner = await verifiedUser(stack, 'Sam Saml');
    const base = `/api/user/organizations/${owner.organizationId}`;
    const created = await owner.client.post(`${base}/sso-connections`, {
      type: 'saml',
      name: 'Acme SAML',
      idpEntityId: 'https://idp-one.example/entity',
      idpSsoUrl: 'https://idp-one.example/sso',
      idpCertificates: [keyPair().cert],
    } as Json);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const connectionId: string = created.body.data.id;
    // A link as a sign-in through the first IdP would have left it.
    await db().execute(
      'insert into sso_identities (connection_id, subject, user_id, created_at, last_sign_in_at) values (?, ?, ?, now(), now())',
      [connectionId, 'someone-at-idp-one', owner.userId],
    );
    const sameIdp = await owner.client.put(`${base}/sso-connections/${connectionId}`, {
      idpSsoUrl: 'https://idp-one.example/sso2',
    });
    expect(sameIdp.status, JSON.stringify(sameIdp.body)).toBe(200);
    expect(await linksOf(connectionId)).toHaveLength(1);

    const otherEntity = await owner.client.put(`${base}/sso-connections/${connectionId}`, {
      idpEntityId: 'https://idp-two.example/entity',
    });
    expect(otherEntity.status, JSON.stringify(otherEntity.body)).toBe(200);
    expect(await linksOf(connectionId)).toEqual([]);
  });
});

describe('an IdP that vouches for the address later', () => {
  it('verifies the account it made unverified (email_verified false, then true)', async () => {
    const org = await organizationWithOidc();
    const email = `later@${org.domain}`;
    const sub = subject();
    claims = { sub, email, email_verified: false, name: 'Lee Later' };
    const first = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(first, email)).status).toBe(302);
    expect((await first.get('/api/user/me')).body.data).toMatchObject({ email, isVerified: false });

    claims = { sub, email, email_verified: true, name: 'Lee Later' };
    const second = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(second, email)).status).toBe(302);
    expect((await second.get('/api/user/me')).body.data).toMatchObject({ email, isVerified: true });
  });

  it('not for another address than the account’s', async () => {
    const org = await organizationWithOidc();
    const email = `stays@${org.domain}`;
    const sub = subject();
    claims = { sub, email, email_verified: false };
    const first = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(first, email)).status).toBe(302);
    // The same subject now vouches for another address: that says nothing about the account's own.
    claims = { sub, email: `other@${org.domain}`, email_verified: true };
    const second = new ApiClient(stack.urls.gateway);
    expect((await ssoSignIn(second, email)).status).toBe(302);
    expect((await second.get('/api/user/me')).body.data).toMatchObject({ email, isVerified: false });
  });
});

describe('a sign-in refused after its account was made', () => {
  it('leaves no account behind when the organization is gone before the callback', async () => {
    const org = await organizationWithOidc();
    const email = `orphan-${randomBytes(3).toString('hex')}@${org.domain}`;
    claims = { sub: subject(), email, email_verified: true, name: 'Otto Orphan' };
    const browser = new ApiClient(stack.urls.gateway);
    const { callback } = await startAndAuthorize(browser, email);
    // The organization is deleted at organization, and identity has not heard yet (its event in
    // flight): the connection still stands, the membership RPC is refused.
    await stack.organization.deps.orm.em
      .fork()
      .execute('delete from organizations where id = ?', [org.owner.organizationId]);

    expectRefused(await browser.get(callback), 'SSO_CONNECTION_DISABLED');
    expect(await db().execute('select id from users where email = ?', [email])).toEqual([]);
    expect(await linksOf(org.connectionId)).toEqual([]);
    // The address is free: its owner can sign up with a password.
    const owner = await signedInUser(stack, 'Otto Orphan', email);
    expect((await owner.client.get('/api/user/me')).body.data.email).toBe(email);
  });
});
