import { eventually } from '@gatehouse/service-kit/testing';
import * as oauth from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import {
  createKey,
  keyClient,
  mailedToken,
  PASSWORD,
  signedInUser,
  uniqueEmail,
  verifiedUser,
} from '../support/flows.js';
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

type User = Awaited<ReturnType<typeof signedInUser>>;

let stack: Stack;
let replicaUrl: string;
/** Someone else's app that the users of these tests let in (an OAuth grant with a refresh token). */
let thirdPartyApp: RegisteredApp;
let organizationOwner: User;

beforeAll(async () => {
  const limits = { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_EMAIL_MAX: '1000' };
  stack = await startStack(limits);
  replicaUrl = (await stack.addGateway(limits)).url;
  const vendor = await signedInUser(stack, 'Vendor');
  thirdPartyApp = await registerApp(vendor.client, {
    name: 'Reports',
    scopes: ['openid', 'offline_access', 'user:read'],
  });
  organizationOwner = await verifiedUser(stack, 'Org Owner');
});
afterAll(async () => {
  await stack?.close();
});

/** One of each credential kind a user can hold, with what is needed to present or renew it. */
interface Held {
  session: string;
  key: string;
  grant: { accessToken: string; refreshToken: string; config: oauth.Configuration };
  machine: { appId: string; accessToken: string; config: oauth.Configuration };
}

async function holdEveryCredential(user: User, password = PASSWORD): Promise<Held> {
  const key = await createKey(user.client, { name: 'everyday key', scopes: ['user:read', 'organizations:read'] });
  const grantConfig = await clientFor(stack, thirdPartyApp);
  const attempt = await authorizationRequest(grantConfig, thirdPartyApp, 'openid offline_access user:read', {
    prompt: 'consent',
  });
  const { callback } = await completeAuthorization(new FormBrowser(), attempt, thirdPartyApp, {
    email: user.email,
    password,
  });
  const grantTokens = await exchangeCode(grantConfig, attempt, callback);
  const ownApp = await registerApp(user.client, { name: 'Nightly job', type: 'confidential', scopes: ['user:read'] });
  const machineConfig = await clientFor(stack, ownApp);
  const machineToken = await oauth.clientCredentialsGrant(machineConfig, { scope: 'user:read' });
  return {
    session: user.client.cookieHeader(),
    key: key.key,
    grant: {
      accessToken: grantTokens.access_token,
      refreshToken: grantTokens.refresh_token as string,
      config: grantConfig,
    },
    machine: { appId: ownApp.id, accessToken: machineToken.access_token, config: machineConfig },
  };
}

type Kind = 'session' | 'key' | 'grant' | 'machine';
const KINDS: Kind[] = ['session', 'key', 'grant', 'machine'];

function presenting(held: Held, kind: Kind, baseUrl: string): ApiClient {
  if (kind === 'session') return new ApiClient(baseUrl, { cookie: held.session });
  if (kind === 'key') return keyClient(stack, held.key, baseUrl);
  const token = kind === 'grant' ? held.grant.accessToken : held.machine.accessToken;
  return new ApiClient(baseUrl, { Authorization: `Bearer ${token}` });
}

/** `GET /api/user/me` with each credential on both gateway replicas: `{ 'key@replica': 401, … }`. */
async function answers(held: Held, kinds: Kind[] = KINDS): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const [name, url] of [
    ['first', stack.urls.gateway],
    ['replica', replicaUrl],
  ] as const) {
    for (const kind of kinds)
      result[`${kind}@${name}`] = (await presenting(held, kind, url).get('/api/user/me')).status;
  }
  return result;
}

function every(status: number, kinds: Kind[] = KINDS): Record<string, number> {
  return Object.fromEntries(
    kinds.flatMap((kind) => [
      [`${kind}@first`, status],
      [`${kind}@replica`, status],
    ]),
  );
}

/** Within the second the rule promises, on both replicas (each has the live answers cached). */
async function refusedWithinASecond(held: Held, kinds: Kind[] = KINDS): Promise<void> {
  await eventually(async () => expect(await answers(held, kinds)).toEqual(every(401, kinds)), 1000, 20);
}

async function expectRenewalsRefused(held: Held): Promise<void> {
  await expect(oauth.refreshTokenGrant(held.grant.config, held.grant.refreshToken)).rejects.toMatchObject({
    error: 'invalid_grant',
  });
  await expect(oauth.clientCredentialsGrant(held.machine.config, { scope: 'user:read' })).rejects.toMatchObject({
    status: 401,
  });
}

async function count(query: string, params: unknown[]): Promise<number> {
  const [row] = await stack.identity.deps.orm.em.fork().execute(`select count(*)::int as n from ${query}`, params);
  return row?.n;
}

const revokedSessions = (userId: string) => count('sessions where user_id = ? and revoked_at is not null', [userId]);

describe('recovery: pre-account takeover (issue #12 item 4)', () => {
  it("a password reset by the address's owner ends every credential the attacker made, on every replica", async () => {
    const victimEmail = uniqueEmail('victim');
    const attacker = await signedInUser(stack, 'Not The Owner', victimEmail);
    const held = await holdEveryCredential(attacker);
    expect(await answers(held)).toEqual(every(200));

    const anonymous = new ApiClient(stack.urls.gateway);
    expect((await anonymous.post('/api/auth/request-password-reset', { email: victimEmail })).status).toBe(200);
    const token = await mailedToken(stack, victimEmail, '/reset-password');
    const newPassword = 'the-real-owners-passphrase';
    expect((await anonymous.post('/api/auth/reset-password', { token, newPassword })).status).toBe(200);

    await refusedWithinASecond(held);
    await expectRenewalsRefused(held);
    expect((await anonymous.post('/api/auth/sign-in/email', { email: victimEmail, password: PASSWORD })).status).toBe(
      401,
    );

    // The owner takes the account over and joins an organization; the attacker sees none of it.
    const victim = new ApiClient(stack.urls.gateway);
    expect((await victim.post('/api/auth/sign-in/email', { email: victimEmail, password: newPassword })).status).toBe(
      200,
    );
    // The reset link reached the address: the account counts as verified, so invitations can be accepted.
    expect((await victim.get('/api/user/me')).body.data.isVerified).toBe(true);
    const invite = await organizationOwner.client.post(
      `/api/user/organizations/${organizationOwner.organizationId}/invites`,
      { email: victimEmail, role: 'member' },
    );
    expect(invite.status).toBe(201);
    const inviteToken = await mailedToken(stack, victimEmail, '/accept-invite?token=');
    // The organization service learns of the verification from the event; under a loaded CI box that can take seconds.
    await eventually(async () => {
      expect((await victim.post(`/api/user/invites/${inviteToken}/accept`)).status).toBe(200);
    }, 20_000);
    // The app the attacker registered stays, without a secret, until the owner rotates one in.
    const app = await victim.get(`/api/user/oauth-apps/${held.machine.appId}`);
    expect(app.body.data).toMatchObject({ type: 'confidential', secretStart: null });
    const rotated = await victim.put(`/api/user/oauth-apps/${held.machine.appId}`, { rotateSecret: true });
    const renewed = await clientFor(stack, {
      ...thirdPartyApp,
      id: held.machine.appId,
      clientSecret: rotated.body.data.clientSecret,
    });
    await expect(oauth.clientCredentialsGrant(renewed, { scope: 'user:read' })).resolves.toMatchObject({
      access_token: expect.any(String),
    });
    const joined = await victim.get('/api/user/organizations');
    expect(joined.body.data.map((org: { id: string }) => org.id)).toContain(organizationOwner.organizationId);
    for (const url of [stack.urls.gateway, replicaUrl]) {
      expect((await keyClient(stack, held.key, url).get('/api/user/organizations')).status).toBe(401);
    }
  });

  it('verifying the address without a session of the account ends every credential of it', async () => {
    const victimEmail = uniqueEmail('victim');
    const attacker = await signedInUser(stack, 'Not The Owner', victimEmail);
    const held = await holdEveryCredential(attacker);
    expect(await answers(held)).toEqual(every(200));

    const token = await mailedToken(stack, victimEmail, '/verify-email?token=');
    const verified = await new ApiClient(stack.urls.gateway).get(`/api/auth/verify-email?token=${token}`);
    expect(verified.status).toBe(200);
    expect(verified.body.data).toMatchObject({ email: victimEmail, isVerified: true, credentialsEnded: true });

    await refusedWithinASecond(held);
    await expectRenewalsRefused(held);

    // The password the account's maker chose no longer opens the now-verified address…
    const again = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: victimEmail,
      password: PASSWORD,
    });
    expect(again.status).toBe(401);
    // …and the address's owner sets one from the link mailed with the verification.
    const reset = await mailedToken(stack, victimEmail, '/reset-password');
    const newPassword = 'the-owner-chose-this-one';
    const set = await new ApiClient(stack.urls.gateway).post('/api/auth/reset-password', { token: reset, newPassword });
    expect(set.status).toBe(200);
    const owner = new ApiClient(stack.urls.gateway);
    expect((await owner.post('/api/auth/sign-in/email', { email: victimEmail, password: newPassword })).status).toBe(
      200,
    );
  });

  it("another account's session does not count as the account's own", async () => {
    const victimEmail = uniqueEmail('victim');
    const attacker = await signedInUser(stack, 'Not The Owner', victimEmail);
    const key = await createKey(attacker.client, { name: 'squatter', scopes: ['user:read'] });
    const token = await mailedToken(stack, victimEmail, '/verify-email?token=');
    const verified = await organizationOwner.client.get(`/api/auth/verify-email?token=${token}`);
    expect(verified.body.data).toMatchObject({ isVerified: true, credentialsEnded: true });
    await eventually(
      async () => expect((await keyClient(stack, key.key).get('/api/user/me')).status).toBe(401),
      1000,
      20,
    );
    expect((await organizationOwner.client.get('/api/user/me')).status).toBe(200);
  });

  it("verifying with the account's own session keeps its credentials (the Quick Start order)", async () => {
    const user = await signedInUser(stack, 'Real Owner');
    const held = await holdEveryCredential(user);
    const token = await mailedToken(stack, user.email, '/verify-email?token=');
    const verified = await user.client.get(`/api/auth/verify-email?token=${token}`);
    expect(verified.status).toBe(200);
    expect(verified.body.data).toMatchObject({ isVerified: true, credentialsEnded: false });

    expect(await answers(held)).toEqual(every(200));
    expect(await revokedSessions(user.userId)).toBe(0);
    expect(await count('api_keys where user_id = ?', [user.userId])).toBe(1);
    await expect(oauth.refreshTokenGrant(held.grant.config, held.grant.refreshToken)).resolves.toMatchObject({
      refresh_token: expect.any(String),
    });
  });
});

describe('recovery: change-password (issue #12 item 5)', () => {
  async function ownerWithAnotherDevice() {
    const user = await signedInUser(stack, 'Careful Owner');
    const held = await holdEveryCredential(user);
    const laptop = new ApiClient(stack.urls.gateway);
    expect((await laptop.post('/api/auth/sign-in/email', { email: user.email, password: PASSWORD })).status).toBe(200);
    return { user, held, laptop: { ...held, session: laptop.cookieHeader() } };
  }

  it('without revokeOtherSessions ends nothing', async () => {
    const { user, held, laptop } = await ownerWithAnotherDevice();
    const changed = await user.client.post('/api/auth/change-password', {
      currentPassword: PASSWORD,
      newPassword: 'a-changed-passphrase',
    });
    expect(changed.status).toBe(200);
    expect(await answers(held)).toEqual(every(200));
    expect(await answers(laptop, ['session'])).toEqual(every(200, ['session']));
    expect(await revokedSessions(user.userId)).toBe(0);
    expect(await count('api_keys where user_id = ?', [user.userId])).toBe(1);
    await expect(oauth.refreshTokenGrant(held.grant.config, held.grant.refreshToken)).resolves.toMatchObject({
      refresh_token: expect.any(String),
    });
  });

  it("with revokeOtherSessions ends other sessions, PATs and OAuth grants; the caller's session and app secrets stay", async () => {
    const { user, held, laptop } = await ownerWithAnotherDevice();
    expect(await answers(laptop, ['session'])).toEqual(every(200, ['session']));
    const changed = await user.client.post('/api/auth/change-password', {
      currentPassword: PASSWORD,
      newPassword: 'a-changed-passphrase',
      revokeOtherSessions: true,
    });
    expect(changed.status).toBe(200);

    await refusedWithinASecond(laptop, ['session']);
    await refusedWithinASecond(held, ['key', 'grant']);
    await expect(oauth.refreshTokenGrant(held.grant.config, held.grant.refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(await answers(held, ['session', 'machine'])).toEqual(every(200, ['session', 'machine']));
    await expect(oauth.clientCredentialsGrant(held.machine.config, { scope: 'user:read' })).resolves.toMatchObject({
      access_token: expect.any(String),
    });
  });
});
