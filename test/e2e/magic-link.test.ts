import { randomBytes } from 'node:crypto';
import { eventually } from '@gatehouse/service-kit/testing';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse } from '../support/client.js';
import { TestDnsServer } from '../support/dns-server.js';
import { mailedToken, PASSWORD, signedInUser, uniqueEmail, verifiedUser } from '../support/flows.js';
import { enableTotp, GENEROUS_LIMITS, identitySql, sessionRow, userWithTotp } from '../support/mfa.js';
import { addVerifiedDomain, uniqueDomain } from '../support/sso.js';
import { type Stack, startStack } from '../support/stack.js';
import { totpCodeAt } from '../support/totp.js';

/**
 * Magic links through the gateway: POST /api/auth/magic-link mails a single-use link to the console's
 * /magic-link page, which posts its token to /api/auth/magic-link/verify. Mail arrives in the stack's
 * SMTP server; the SSO-required case uses a DNS-verified domain (dns2 on loopback) and an OIDC
 * connection to oauth2-mock-server.
 */

/** The shortest magic-link lifetime allowed, so the expiry case moves a row by a minute. */
const MAGIC_LINK_TTL_SECONDS = 60;

let stack: Stack;
let dns: TestDnsServer;
let idp: OAuth2Server;

beforeAll(async () => {
  dns = new TestDnsServer();
  await dns.start();
  idp = new OAuth2Server();
  await idp.issuer.keys.generate('RS256');
  await idp.start(0, '127.0.0.1');
  stack = await startStack(
    { ...GENEROUS_LIMITS, RATE_LIMIT_IP_MAX: '5000' },
    { MAGIC_LINK_TTL_SECONDS, DNS_SERVERS: dns.address },
  );
});
afterAll(async () => {
  await stack?.close();
  await idp?.stop();
  await dns?.close();
});

const anonymous = () => new ApiClient(stack.urls.gateway);
const LINK_PATH = '/magic-link?token=';
const VERIFY_PATH = '/verify-email?token=';

/** A mail's text with quoted-printable soft breaks and `=3D` undone, as its reader sees the links. */
function unfolded(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
}

/** Every mail this address received, oldest first. */
function mailsTo(email: string): string[] {
  return stack.smtp.received.filter((mail) => mail.to.includes(email)).map((mail) => unfolded(mail.raw));
}

function requestLink(email: string): Promise<ApiResponse> {
  return anonymous().post('/api/auth/magic-link', { email });
}

/** Asks for a link and waits for the mail carrying a token other than `previous`. */
async function mailedLink(email: string, previous?: string): Promise<string> {
  expect((await requestLink(email)).status).toBe(200);
  return eventually(async () => {
    const token = await mailedToken(stack, email, LINK_PATH);
    if (token === previous) throw new Error('the newer link has not arrived yet');
    return token;
  });
}

function sessionCookieSet(response: ApiResponse): boolean {
  return response.headers.getSetCookie().some((cookie) => cookie.startsWith('gatehouse_session='));
}

async function setActive(userId: string, active: boolean): Promise<void> {
  await identitySql(stack, 'update users set is_active = ? where id = ?', [active, userId]);
}

function expectSpent(response: ApiResponse): void {
  expect(response.status, JSON.stringify(response.body)).toBe(401);
  expect(response.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
  expect(sessionCookieSet(response)).toBe(false);
}

describe('requesting a magic link', () => {
  it('answers the same for an unknown address as for a known one, and mails only the known one', async () => {
    const known = await verifiedUser(stack, 'Mia Mail');
    const unknownEmail = uniqueEmail('nobody');
    const forUnknown = await requestLink(unknownEmail);
    const forKnown = await requestLink(known.email);
    expect(forKnown.status).toBe(200);
    expect(forUnknown.status).toBe(200);
    expect(forUnknown.body).toEqual(forKnown.body);
    expect(forKnown.body.data).toBeNull();
    await mailedToken(stack, known.email, LINK_PATH);
    // A marker: the address signs up afterwards, and its verification mail must arrive. Mail is relayed in
    // the order it was queued, so a link for the unknown address would have come before it.
    await signedInUser(stack, 'Late Comer', unknownEmail);
    await mailedToken(stack, unknownEmail, VERIFY_PATH);
    const toUnknown = mailsTo(unknownEmail);
    expect(toUnknown).toHaveLength(1);
    expect(toUnknown[0]).toContain(VERIFY_PATH);
    expect(toUnknown[0]).not.toContain(LINK_PATH);
  });

  it('refuses a malformed address with a field error, never a 500', async () => {
    for (const body of [{}, { email: 'not-an-address' }, { email: 42 }, { email: 'a@b.example', extra: true }]) {
      const response = await anonymous().post('/api/auth/magic-link', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('VALIDATION_ERROR');
    }
  });

  it('mails nothing to a deactivated account, and refuses the link it was mailed before', async () => {
    const user = await verifiedUser(stack, 'Dee Active');
    const token = await mailedLink(user.email);
    await setActive(user.userId, false);
    const before = stack.smtp.received.length;
    expect((await requestLink(user.email)).status).toBe(200);

    const refused = await anonymous().post('/api/auth/magic-link/verify', { token });
    expect(refused.status, JSON.stringify(refused.body)).toBe(401);
    expect(refused.body.code).toBe('USER_NOT_ACTIVE');
    expect(sessionCookieSet(refused)).toBe(false);
    // Refused before anything was written: the link still works once the account is active again.
    await setActive(user.userId, true);
    expect((await anonymous().post('/api/auth/magic-link/verify', { token })).status).toBe(200);

    // A marker: a link asked for now that the account is active must arrive. Mail is relayed in the order
    // it was queued, so a link mailed while it was deactivated would have come first.
    const marker = await mailedLink(user.email, token);
    const since = stack.smtp.received
      .slice(before)
      .filter((mail) => mail.to.includes(user.email))
      .map((mail) => unfolded(mail.raw));
    expect(since).toHaveLength(1);
    expect(since[0]).toContain(`${LINK_PATH}${marker}`);
  });
});

describe('signing in with a magic link', () => {
  it('signs in through POST verify with the mailed link: a session with amr email and the cookie', async () => {
    const user = await verifiedUser(stack, 'Lina Link');
    const token = await mailedLink(user.email);
    const browser = anonymous();
    const signedIn = await browser.post('/api/auth/magic-link/verify', { token });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body.data.user).toMatchObject({ id: user.userId, email: user.email });
    expect(sessionCookieSet(signedIn)).toBe(true);
    const me = await browser.get('/api/user/me');
    expect(me.status).toBe(200);
    expect(me.body.data.id).toBe(user.userId);
    const row = await sessionRow(stack, signedIn.body.data.session.id);
    expect(row.amr).toEqual(['email']);
    expect(row.second_factor_at).toBeNull();
    // The sign-in is in the login history as a magic link.
    const history = await browser.get('/api/user/me/login-history');
    expect(history.body.data[0]).toMatchObject({ success: true, method: 'magic_link' });
  });

  it('works once: the same link again, or a second browser racing for it, is refused', async () => {
    const user = await verifiedUser(stack, 'Una Once');
    const token = await mailedLink(user.email);
    const [first, second] = await Promise.all([
      anonymous().post('/api/auth/magic-link/verify', { token }),
      anonymous().post('/api/auth/magic-link/verify', { token }),
    ]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual([200, 401]);
    expectSpent(await anonymous().post('/api/auth/magic-link/verify', { token }));
  });

  it('expires: a link past its lifetime is refused', async () => {
    const user = await verifiedUser(stack, 'Ezra Expired');
    const token = await mailedLink(user.email);
    const [row] = await identitySql(
      stack,
      `select extract(epoch from expires_at - created_at)::int as ttl from one_time_tokens
          where user_id = ? and purpose = 'magic_link' and used_at is null`,
      [user.userId],
    );
    // The configured lifetime (MAGIC_LINK_TTL_SECONDS) is what the row was given.
    expect(row?.ttl).toBe(MAGIC_LINK_TTL_SECONDS);
    await identitySql(
      stack,
      `update one_time_tokens set expires_at = now() - interval '1 second'
          where user_id = ? and purpose = 'magic_link'`,
      [user.userId],
    );
    expectSpent(await anonymous().post('/api/auth/magic-link/verify', { token }));
  });

  it('a newer link voids the older one', async () => {
    const user = await verifiedUser(stack, 'Nora Newer');
    const older = await mailedLink(user.email);
    const newer = await mailedLink(user.email, older);
    expect(newer).not.toBe(older);
    expectSpent(await anonymous().post('/api/auth/magic-link/verify', { token: older }));
    expect((await anonymous().post('/api/auth/magic-link/verify', { token: newer })).status).toBe(200);
  });

  it('refuses made-up and malformed tokens alike, with no session', async () => {
    expectSpent(await anonymous().post('/api/auth/magic-link/verify', { token: randomBytes(32).toString('hex') }));
    for (const body of [{}, { token: 'short' }, { token: 'has spaces in it, which no token has' }, { token: 7 }]) {
      const response = await anonymous().post('/api/auth/magic-link/verify', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.code).toBe('VALIDATION_ERROR');
      expect(sessionCookieSet(response)).toBe(false);
    }
  });

  it('an account with an authenticator app gets the second-factor challenge, and no session until it is met', async () => {
    const user = await userWithTotp(stack, 'Theo Totp', { verified: true });
    const token = await mailedLink(user.email);
    const browser = anonymous();
    const answer = await browser.post('/api/auth/magic-link/verify', { token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.data).toMatchObject({ mfaRequired: true, factors: expect.arrayContaining(['totp']) });
    expect(answer.body.data.user).toBeUndefined();
    expect(sessionCookieSet(answer)).toBe(false);
    expect((await browser.get('/api/user/me')).status).toBe(401);
    // The link is spent by reaching the second step.
    expectSpent(await anonymous().post('/api/auth/magic-link/verify', { token }));

    // The confirming code's step is spent; the next step's code completes the sign-in.
    const verified = await browser.post('/api/auth/mfa/verify', {
      challengeId: answer.body.data.challengeId,
      type: 'totp',
      code: totpCodeAt(user.secret, 1),
    });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(sessionCookieSet(verified)).toBe(true);
    const row = await sessionRow(stack, verified.body.data.session.id);
    expect(row.amr).toEqual(expect.arrayContaining(['email', 'otp', 'mfa']));
    expect(row.second_factor_at).not.toBeNull();
  });

  it('verifies an unverified account, ends what its maker held, and clears the password', async () => {
    const maker = await signedInUser(stack, 'Stranger Maker');
    expect((await maker.client.get('/api/user/me')).body.data.isVerified).toBe(false);
    const token = await mailedLink(maker.email);
    const owner = anonymous();
    const signedIn = await owner.post('/api/auth/magic-link/verify', { token });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body.data.user).toMatchObject({ id: maker.userId, isVerified: true });
    expect(signedIn.body.data.user.verifiedAt).not.toBeNull();
    // The maker's session is over, and the password they chose no longer signs in.
    expect((await maker.client.get('/api/user/me')).status).toBe(401);
    const withOldPassword = await anonymous().post('/api/auth/sign-in/email', {
      email: maker.email,
      password: PASSWORD,
    });
    expect(withOldPassword.status).toBe(401);
    expect(withOldPassword.body.code).toBe('INVALID_CREDENTIALS');
    // The one who followed the link is in.
    const me = await owner.get('/api/user/me');
    expect(me.status).toBe(200);
    expect(me.body.data.isVerified).toBe(true);
  });

  it('verifying an unverified account clears the factors its maker set up', async () => {
    const maker = await signedInUser(stack, 'Factor Maker');
    await enableTotp(maker.client);
    const token = await mailedLink(maker.email);
    const answer = await anonymous().post('/api/auth/magic-link/verify', { token });
    // No challenge: the maker's authenticator app went with the rest of what they held.
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.data.mfaRequired).toBeUndefined();
    expect(answer.body.data.user.id).toBe(maker.userId);
    const [row] = await identitySql(stack, 'select count(*)::int as n from mfa_totp where user_id = ?', [maker.userId]);
    expect(row?.n).toBe(0);
  });
});

describe('magic links and ssoRequired', () => {
  it('mails the SSO discover link, and no token, to a member of a domain that requires SSO; its owner still gets a link', async () => {
    const domain = uniqueDomain('magic');
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
    const member = await verifiedUser(stack, 'Pat Member', `pat@${domain}`);
    // A link mailed before the rule is refused at use once the rule holds.
    const early = await mailedLink(member.email);
    const required = await owner.client.put(`${base}/sso-connections/${created.body.data.id}`, {
      ssoRequired: true,
    });
    expect(required.status, JSON.stringify(required.body)).toBe(200);

    const before = stack.smtp.received.length;
    expect((await requestLink(member.email)).status).toBe(200);
    const mail = await eventually(async () => {
      const arrived = stack.smtp.received.slice(before).find((item) => item.to.includes(member.email));
      if (!arrived) throw new Error('no mail yet');
      return unfolded(arrived.raw);
    });
    const discover = new URL('/api/auth/sso/discover', stack.urls.gateway);
    discover.searchParams.set('email', member.email);
    expect(mail).toContain(discover.toString());
    expect(mail).not.toContain('/magic-link?token=');

    const refused = await anonymous().post('/api/auth/magic-link/verify', { token: early });
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body.code).toBe('SSO_REQUIRED');
    expect(sessionCookieSet(refused)).toBe(false);

    // Break-glass: the organization's owner signs in with a link as with a password.
    const ownerToken = await mailedLink(owner.email);
    expect((await anonymous().post('/api/auth/magic-link/verify', { token: ownerToken })).status).toBe(200);
  });
});
