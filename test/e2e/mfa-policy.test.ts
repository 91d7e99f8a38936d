import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse } from '../support/client.js';
import { createKey, keyClient, mailedToken, PASSWORD, signedInUser, verifiedUser } from '../support/flows.js';
import { enableTotp, GENEROUS_LIMITS } from '../support/mfa.js';
import {
  authorizationRequest,
  clientFor,
  completeAuthorization,
  exchangeCode,
  FormBrowser,
  registerApp,
} from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';
import { totpCodeAt } from '../support/totp.js';

type User = Awaited<ReturnType<typeof signedInUser>>;

let stack: Stack;
let owner: User;
let member: User;
let outsider: User;
/** The member's second sign-in, with the password only: it never proves a factor. */
let memberPasswordOnly: ApiClient;
let memberKey: ApiClient;
let memberToken: ApiClient;
let org: string;

beforeAll(async () => {
  stack = await startStack(GENEROUS_LIMITS);
  owner = await verifiedUser(stack, 'Olga Owner');
  member = await verifiedUser(stack, 'Mira Member');
  outsider = await signedInUser(stack, 'Otto Outsider');
  org = `/api/user/organizations/${owner.organizationId}`;

  const invite = await owner.client.post(`${org}/invites`, { email: member.email, role: 'member' });
  expect(invite.status).toBe(201);
  const token = await mailedToken(stack, member.email, '/accept-invite?token=');
  expect((await member.client.post(`/api/user/invites/${token}/accept`)).status).toBe(200);
  // Identity's membership read model learns the membership from organization's event, and the policy is enforced
  // from it (docs/mfa.md: a member added seconds ago is enforced once it has). Its count on /me is read from that
  // model; a tenant route is not proof (identity asks organization when its model lacks the membership).
  await eventually(async () => {
    expect((await member.client.get('/api/user/me')).body.data.organizationCount).toBe(2);
  }, 20_000);

  memberPasswordOnly = await passwordSession(member.email);
  const key = await createKey(member.client, { name: 'member key', scopes: ['organizations:read', 'projects:read'] });
  memberKey = keyClient(stack, key.key);
  memberToken = await oauthTokenOf(member);
});
afterAll(async () => {
  await stack?.close();
});

async function passwordSession(email: string): Promise<ApiClient> {
  const client = new ApiClient(stack.urls.gateway);
  const signIn = await client.post('/api/auth/sign-in/email', { email, password: PASSWORD });
  expect(signIn.status).toBe(200);
  expect(signIn.body.data.session).toBeDefined();
  return client;
}

/** An access token the member granted an app of their own (code + PKCE through the login form). */
async function oauthTokenOf(user: User): Promise<ApiClient> {
  const app = await registerApp(user.client, { scopes: ['openid', 'organizations:read', 'projects:read'] });
  const config = await clientFor(stack, app);
  const attempt = await authorizationRequest(config, app, 'openid organizations:read projects:read');
  const { callback } = await completeAuthorization(new FormBrowser(), attempt, app, {
    email: user.email,
    password: PASSWORD,
  });
  const tokens = await exchangeCode(config, attempt, callback);
  return new ApiClient(stack.urls.gateway, { Authorization: `Bearer ${tokens.access_token}` });
}

/** Password then authenticator code: a session that proved a second factor. */
async function signInWithTotp(email: string, secret: string): Promise<ApiClient> {
  const client = new ApiClient(stack.urls.gateway);
  const challenge = await client.post('/api/auth/sign-in/email', { email, password: PASSWORD });
  expect(challenge.status, JSON.stringify(challenge.body)).toBe(200);
  expect(challenge.body.data).toMatchObject({ mfaRequired: true, factors: expect.arrayContaining(['totp']) });
  // The code of the next step: the one the confirmation spent cannot be used again.
  const verified = await client.post('/api/auth/mfa/verify', {
    challengeId: challenge.body.data.challengeId,
    type: 'totp',
    code: totpCodeAt(secret, 1),
  });
  expect(verified.status).toBe(200);
  return client;
}

/** Every tenant route family: organization's, project's, and identity's (security settings, SSO admin). */
function tenantRoutes(organizationPath: string): string[] {
  return [
    organizationPath,
    `${organizationPath}/members`,
    `${organizationPath}/projects`,
    `${organizationPath}/settings/security`,
    `${organizationPath}/sso-connections`,
  ];
}

function expectPolicyRefusal(answer: ApiResponse, enrolled: boolean, route: string) {
  expect(answer.status, route).toBe(403);
  expect(answer.body, route).toMatchObject({
    success: false,
    code: 'MFA_REQUIRED',
    meta: {
      reason: 'organization_policy',
      organizationId: owner.organizationId,
      enrolled,
      enrollUrl: '/account/security',
    },
  });
}

const setPolicy = (client: ApiClient, mfaRequired: boolean) => client.put(`${org}/settings/security`, { mfaRequired });

describe('the organization MFA policy', () => {
  let memberSecret: string;
  let memberSignedInWithFactor: ApiClient;

  it('starts off, and a member may read it but not change it', async () => {
    const settings = await member.client.get(`${org}/settings/security`);
    expect(settings.status).toBe(200);
    expect(settings.body.data).toEqual({ mfaRequired: false, updatedAt: null });
    const byMember = await setPolicy(member.client, true);
    expect(byMember.status).toBe(403);
    expect(byMember.body.code).toBe('INSUFFICIENT_PERMISSIONS');
    // The member's credentials all reach the tenant routes (and are cached by the gateway now).
    for (const client of [member.client, memberPasswordOnly, memberKey, memberToken]) {
      expect((await client.get(org)).status).toBe(200);
      expect((await client.get(`${org}/projects`)).status).toBe(200);
    }
  });

  it('cannot be turned on by an owner without a factor of their own (enroll_first), and nothing is written', async () => {
    const refused = await setPolicy(owner.client, true);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'MFA_REQUIRED', meta: { reason: 'enroll_first' } });
    // Turning it off needs no factor (it is off already: nothing changes).
    const off = await setPolicy(owner.client, false);
    expect(off.status).toBe(200);
    expect(off.body.data).toEqual({ mfaRequired: false, updatedAt: null });
    expect((await owner.client.get(`${org}/settings/security`)).body.data.mfaRequired).toBe(false);
  });

  it('refuses a malformed body naming the field', async () => {
    for (const body of [{}, { mfaRequired: 'yes' }, { mfaRequired: true, extra: 1 }]) {
      const bad = await owner.client.put(`${org}/settings/security`, body);
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_ERROR');
      expect(JSON.stringify(bad.body.meta)).toMatch(/mfaRequired|extra/);
    }
  });

  it('is turned on by an owner with an authenticator app, with a fresh second factor', async () => {
    await enableTotp(owner.client);
    const on = await setPolicy(owner.client, true);
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body.data.mfaRequired).toBe(true);
    expect(Date.parse(on.body.data.updatedAt)).toBeGreaterThan(Date.now() - 60_000);
    const read = await owner.client.get(`${org}/settings/security`);
    expect(read.body.data).toEqual(on.body.data);
    // The owner's session proved its factor: the organization stays open to it.
    expect((await owner.client.get(org)).status).toBe(200);
  });

  it('refuses the member’s password-only sessions on organization, project and identity tenant routes', async () => {
    for (const client of [member.client, memberPasswordOnly]) {
      for (const route of tenantRoutes(org)) expectPolicyRefusal(await client.get(route), false, route);
    }
    // Even where the role would be refused, the policy speaks first: the member learns what to do.
    expectPolicyRefusal(await setPolicy(member.client, false), false, 'PUT settings');
  });

  it('refuses the member’s key and app token the same, at once (their cached answers were dropped)', async () => {
    for (const client of [memberKey, memberToken]) {
      expectPolicyRefusal(await client.get(org), false, 'organization');
      expectPolicyRefusal(await client.get(`${org}/projects`), false, 'projects');
    }
  });

  it('still answers a non-member 404, and leaves the member’s other organizations open', async () => {
    for (const route of tenantRoutes(org)) {
      const answer = await outsider.client.get(route);
      expect(answer.status, route).toBe(404);
      expect(answer.body.code, route).toBe('NOT_FOUND');
    }
    const ownOrganization = `/api/user/organizations/${member.organizationId}`;
    expect((await member.client.get(ownOrganization)).status).toBe(200);
    expect((await memberKey.get(`${ownOrganization}/projects`)).status).toBe(200);
  });

  it('leaves the account-wide routes open, so the member can enrol', async () => {
    expect((await member.client.get('/api/user/me')).status).toBe(200);
    expect((await member.client.get('/api/user/organizations')).status).toBe(200);
    expect((await member.client.get('/api/user/mfa')).status).toBe(200);
  });

  it('accepts the member’s key at once once they enrol, but not a session that never proved the factor', async () => {
    ({ secret: memberSecret } = await enableTotp(member.client));
    expect((await memberKey.get(org)).status).toBe(200);
    expect((await memberToken.get(`${org}/projects`)).status).toBe(200);
    // The enrolling session proved the factor; the other, password-only one did not.
    expect((await member.client.get(org)).status).toBe(200);
    for (const route of tenantRoutes(org)) expectPolicyRefusal(await memberPasswordOnly.get(route), true, route);
    expect((await memberPasswordOnly.get(org)).body.message).toMatch(/sign in again/);
  });

  it('accepts a new sign-in with the factor', async () => {
    memberSignedInWithFactor = await signInWithTotp(member.email, memberSecret);
    expect((await memberSignedInWithFactor.get(org)).status).toBe(200);
    expect((await memberSignedInWithFactor.get(`${org}/projects`)).status).toBe(200);
    expect((await memberSignedInWithFactor.get('/api/user/me')).status).toBe(200);
  });

  it('shows mfaEnabled in the members list for the enrolled member (eventually)', async () => {
    await eventually(async () => {
      const members = await owner.client.get(`${org}/members`);
      expect(members.status).toBe(200);
      const rows = members.body.data as Array<{ email: string; mfaEnabled: boolean }>;
      expect(rows.find((row) => row.email === member.email)?.mfaEnabled).toBe(true);
      expect(rows.find((row) => row.email === owner.email)?.mfaEnabled).toBe(true);
    }, 20_000);
    const outsiderView = await outsider.client.get(`/api/user/organizations/${outsider.organizationId}/members`);
    expect(outsiderView.body.data[0].mfaEnabled).toBe(false);
  });

  it('refuses the member again, at once, when they remove their last factor', async () => {
    // The enrolling session proved the factor minutes ago at most: fresh enough for the removal.
    const removed = await member.client.delete('/api/user/mfa/totp');
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    // Its sessions proved a factor the account no longer has; the key's owner is no longer enrolled.
    for (const client of [member.client, memberSignedInWithFactor, memberKey, memberToken]) {
      expectPolicyRefusal(await client.get(org), false, 'organization');
    }
    expect((await member.client.get('/api/user/me')).status).toBe(200);
  });

  it('restores every credential at once when it is turned off', async () => {
    const off = await setPolicy(owner.client, false);
    expect(off.status).toBe(200);
    expect(off.body.data.mfaRequired).toBe(false);
    for (const client of [member.client, memberPasswordOnly, memberKey, memberToken]) {
      expect((await client.get(org)).status).toBe(200);
    }
    expect((await memberPasswordOnly.get(`${org}/sso-connections`)).body.code).toBe('INSUFFICIENT_PERMISSIONS');
    expect((await member.client.get(`${org}/settings/security`)).body.data.mfaRequired).toBe(false);
  });
});
