import { randomBytes } from 'node:crypto';
import { eventually } from '@gatehouse/service-kit/testing';
import { type MutableToken, OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse, type Json } from '../support/client.js';
import { TestDnsServer } from '../support/dns-server.js';
import {
  createKey,
  keyClient,
  mailedToken,
  PASSWORD,
  signedInUser,
  uniqueEmail,
  verifiedUser,
} from '../support/flows.js';
import { addVerifiedDomain, uniqueDomain } from '../support/sso.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * `ssoRequired` through the gateway: a connection that requires SSO refuses passwords (sign-in,
 * reset) and PAT creation by sessions that did not come through SSO, for the addresses of its
 * verified domains; the organization's owners keep their password (break-glass). The connection is
 * set up through the admin routes, the domain proven through a real DNS server (dns2) on loopback, and
 * SSO sessions come from oauth2-mock-server, an independent OpenID provider on loopback.
 */

let stack: Stack;
let dns: TestDnsServer;
let idp: OAuth2Server;
/** What the IdP says about the person in the next ID token. */
let claims: Record<string, unknown>;

beforeAll(async () => {
  dns = new TestDnsServer();
  await dns.start();
  idp = new OAuth2Server();
  await idp.issuer.keys.generate('RS256');
  await idp.start(0, '127.0.0.1');
  idp.service.on('beforeTokenSigning', (token: MutableToken) => Object.assign(token.payload, claims));
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_EMAIL_MAX: '1000' },
    { DNS_SERVERS: dns.address },
  );
});
afterAll(async () => {
  await stack?.close();
  await idp?.stop();
  await dns?.close();
});

interface Organization {
  owner: Awaited<ReturnType<typeof verifiedUser>>;
  base: string;
  domain: string;
  connection: string;
}

/** An owner whose own address is in the domain, the domain DNS-verified, and an OIDC connection serving it. */
async function organizationWithOidc(): Promise<Organization> {
  const domain = uniqueDomain('strict');
  const owner = await verifiedUser(stack, 'Olga Owner', `boss@${domain}`);
  const base = `/api/user/organizations/${owner.organizationId}`;
  await addVerifiedDomain(owner.client, dns, base, domain);
  const created = await owner.client.post(`${base}/sso-connections`, {
    type: 'oidc',
    name: 'Strict IdP',
    issuer: idp.issuer.url,
    clientId: 'gatehouse-client',
    clientSecret: 'a-client-secret-for-the-test',
    domains: [domain],
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { owner, base, domain, connection: `${base}/sso-connections/${created.body.data.id}` };
}

async function setConnection(org: Organization, settings: Json): Promise<void> {
  const changed = await org.owner.client.put(org.connection, settings);
  expect(changed.status, JSON.stringify(changed.body)).toBe(200);
}

function passwordSignIn(email: string, password = PASSWORD): Promise<ApiResponse> {
  return new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', { email, password });
}

function expectSsoRequired(response: ApiResponse, email: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(403);
  expect(response.body.code).toBe('SSO_REQUIRED');
  const discover = new URL('/api/auth/sso/discover', stack.urls.gateway);
  discover.searchParams.set('email', email);
  expect(response.body.meta?.ssoRedirectUrl).toBe(discover.toString());
  expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('gatehouse_session='))).toBe(false);
}

/** discover → IdP → callback, as the browser follows it; the client then carries an SSO session. */
async function ssoSignIn(browser: ApiClient, email: string): Promise<void> {
  claims = { sub: `idp-${randomBytes(6).toString('hex')}`, email, email_verified: true, name: 'Sam Single' };
  const started = await browser.get(`/api/auth/sso/discover?${new URLSearchParams({ email })}`);
  expect(started.status, JSON.stringify(started.body)).toBe(302);
  const authorized = await fetch(started.headers.get('location') as string, { redirect: 'manual' });
  expect(authorized.status).toBe(302);
  const callback = new URL(authorized.headers.get('location') as string);
  const finished = await browser.get(`${callback.pathname}${callback.search}`);
  expect(finished.status, JSON.stringify(finished.body)).toBe(302);
}

const KEY = { name: 'automation', scopes: ['user:read', 'api-keys:write'] };

describe('ssoRequired', () => {
  it('refuses password sign-in for every address of the domain, and lets it back in at once when turned off', async () => {
    const org = await organizationWithOidc();
    const member = await signedInUser(stack, 'Pat Password', `pat@${org.domain}`);
    expect((await passwordSignIn(member.email)).status).toBe(200);

    await setConnection(org, { ssoRequired: true });
    expectSsoRequired(await passwordSignIn(member.email), member.email);
    // A wrong password and an unknown address meet the same answer: it tells nothing about accounts.
    expectSsoRequired(await passwordSignIn(member.email, 'not-the-password-at-all'), member.email);
    expectSsoRequired(await passwordSignIn(`nobody@${org.domain}`), `nobody@${org.domain}`);
    expectSsoRequired(await passwordSignIn(`PAT@${org.domain.toUpperCase()}`), member.email);
    // The refusal is in the account's login history (written just after answering).
    await eventually(async () => {
      const history = await member.client.get('/api/user/me/login-history');
      expect(history.body.data[0]).toMatchObject({ success: false });
    });

    await setConnection(org, { ssoRequired: false });
    expect((await passwordSignIn(member.email)).status).toBe(200);
    // A disabled connection requires nothing either: it signs no one in.
    await setConnection(org, { ssoRequired: true, enabled: false });
    expect((await passwordSignIn(member.email)).status).toBe(200);
  });

  it('leaves addresses in other domains alone', async () => {
    const org = await organizationWithOidc();
    await setConnection(org, { ssoRequired: true });
    const outsider = await signedInUser(stack, 'Olly Outside', uniqueEmail('outside'));
    expect((await passwordSignIn(outsider.email)).status).toBe(200);
    // A sibling domain that merely ends the same way is another domain.
    const lookalike = await signedInUser(stack, 'Lou Lookalike', `lou@not${org.domain}`);
    expect((await passwordSignIn(lookalike.email)).status).toBe(200);
    expect((await outsider.client.post('/api/auth/api-key/create', KEY)).status).toBe(200);
  });

  it('keeps the owners on their password: the break-glass path when the IdP is broken', async () => {
    const org = await organizationWithOidc();
    await setConnection(org, { ssoRequired: true });
    const owner = new ApiClient(stack.urls.gateway);
    expect((await owner.post('/api/auth/sign-in/email', { email: org.owner.email, password: PASSWORD })).status).toBe(
      200,
    );
    expect((await owner.post('/api/auth/api-key/create', KEY)).status).toBe(200);
    expect(
      (await new ApiClient(stack.urls.gateway).post('/api/auth/request-password-reset', { email: org.owner.email }))
        .status,
    ).toBe(200);
    const token = await mailedToken(stack, org.owner.email, '/reset-password');
    const reset = await new ApiClient(stack.urls.gateway).post('/api/auth/reset-password', {
      token,
      newPassword: 'an-owner-break-glass-passphrase',
    });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect((await passwordSignIn(org.owner.email, 'an-owner-break-glass-passphrase')).status).toBe(200);
  });

  it('mails no reset link yet answers the same, and refuses a link mailed before', async () => {
    const org = await organizationWithOidc();
    const member = await signedInUser(stack, 'Rita Reset', `rita@${org.domain}`);
    const anonymous = new ApiClient(stack.urls.gateway);
    // A link mailed while a password was still allowed.
    await anonymous.post('/api/auth/request-password-reset', { email: member.email });
    const earlier = await mailedToken(stack, member.email, '/reset-password');
    const mailsBefore = stack.smtp.received.filter((mail) => mail.to.includes(member.email)).length;

    await setConnection(org, { ssoRequired: true });
    const asked = await anonymous.post('/api/auth/request-password-reset', { email: member.email });
    const ghost = await anonymous.post('/api/auth/request-password-reset', { email: `ghost@${org.domain}` });
    expect(asked.status).toBe(200);
    expect(asked.body).toEqual(ghost.body);
    // A control mail asked for afterwards arrives; the refused one never does.
    const control = await signedInUser(stack, 'Carl Control', uniqueEmail('control'));
    await anonymous.post('/api/auth/request-password-reset', { email: control.email });
    await mailedToken(stack, control.email, '/reset-password');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stack.smtp.received.filter((mail) => mail.to.includes(member.email)).length).toBe(mailsBefore);

    const refused = await anonymous.post('/api/auth/reset-password', {
      token: earlier,
      newPassword: 'a-new-passphrase',
    });
    expectSsoRequired(refused, member.email);
    // The refusal spent nothing: with the policy off the same link still works.
    await setConnection(org, { ssoRequired: false });
    const reset = await anonymous.post('/api/auth/reset-password', { token: earlier, newPassword: 'a-new-passphrase' });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
  });

  it('refuses a new PAT from a password session, allows one from an SSO session, and none from a key', async () => {
    const org = await organizationWithOidc();
    const passwordUser = await signedInUser(stack, 'Paul Password', `paul@${org.domain}`);
    await setConnection(org, { ssoRequired: true });
    expectSsoRequired(await passwordUser.client.post('/api/auth/api-key/create', KEY), passwordUser.email);

    const browser = new ApiClient(stack.urls.gateway);
    const email = `sso.person@${org.domain}`;
    await ssoSignIn(browser, email);
    const key = await createKey(browser, KEY);
    expect((await keyClient(stack, key.key).get('/api/user/me')).status).toBe(200);
    // No record says which session a key's lineage began with, so a key creates none for such accounts.
    const child = await keyClient(stack, key.key).post('/api/auth/api-key/create', {
      name: 'child',
      scopes: ['user:read'],
    });
    expectSsoRequired(child, email);
  });
});
