import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedKeyPair } from '../../infra/local/keys.js';
import { ApiClient, type ApiResponse, type Json } from '../support/client.js';
import { createKey, keyClient, PASSWORD, verifiedUser } from '../support/flows.js';
import { ageSecondFactor, currentSession, enableTotp, GENEROUS_LIMITS } from '../support/mfa.js';
import { type Stack, startStack } from '../support/stack.js';
import { totpCodeAt } from '../support/totp.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(GENEROUS_LIMITS);
});
afterAll(async () => {
  await stack?.close();
});

interface Person {
  client: ApiClient;
  email: string;
  userId: string;
  organizationId: string;
  sessionId: string;
}

interface TotpPerson extends Person {
  secret: string;
  recoveryCodes: string[];
}

async function person(): Promise<Person> {
  const user = await verifiedUser(stack, 'Careful Person');
  return { ...user, sessionId: (await currentSession(user.client)).id };
}

/** A person whose authenticator app is on (confirming it proved a second factor in this session). */
async function personWithTotp(): Promise<TotpPerson> {
  const user = await person();
  return { ...user, ...(await enableTotp(user.client)) };
}

/** How long a proven second factor lets a session make sensitive changes (MFA_STEP_UP_SECONDS). */
const stepUpSeconds = () => stack.identity.deps.config.MFA_STEP_UP_SECONDS;

async function stepUp(client: ApiClient, body: { type: 'totp' | 'recovery_code'; code: string }) {
  const started = await client.post('/api/user/mfa/step-up', {});
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  return client.post('/api/auth/mfa/verify', { challengeId: started.body.data.challengeId, ...body });
}

function expectStepUpRequired(response: ApiResponse, what: string) {
  expect(response.status, `${what}: ${JSON.stringify(response.body)}`).toBe(403);
  expect(response.body).toMatchObject({
    code: 'MFA_REQUIRED',
    meta: {
      reason: 'step_up',
      factors: ['totp', 'recovery_code'],
      stepUpUrl: '/api/user/mfa/step-up',
      maxAgeSeconds: stepUpSeconds(),
    },
  });
}

const certificate = () =>
  selfSignedKeyPair('Step-up IdP', 30)
    .certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '')
    .trim();

/** Every sensitive change, in an order where each one's target exists (the account goes last). */
function sensitiveChanges(user: Person) {
  const state: { keyId?: string; appId?: string; connectionId?: string; domainId?: string } = {};
  const connections = `/api/user/organizations/${user.organizationId}/sso-connections`;
  const changes: Array<{ name: string; run: () => Promise<ApiResponse>; status: number; after?: (r: Json) => void }> = [
    {
      name: 'createApiKey',
      run: () => user.client.post('/api/auth/api-key/create', { name: 'ci', scopes: ['user:read'] }),
      status: 200,
      after: (body) => {
        state.keyId = body.data.id;
      },
    },
    {
      name: 'updateApiKey',
      run: () => user.client.post('/api/auth/api-key/update', { keyId: state.keyId, name: 'ci renamed' }),
      status: 200,
    },
    {
      name: 'createOAuthApp',
      run: () =>
        user.client.post('/api/user/oauth-apps', {
          name: 'Step-up App',
          type: 'confidential',
          redirectUris: ['https://app.example.com/cb'],
          allowedScopes: ['openid', 'profile'],
        }),
      status: 201,
      after: (body) => {
        state.appId = body.data.id;
      },
    },
    {
      name: 'updateOAuthApp',
      run: () => user.client.put(`/api/user/oauth-apps/${state.appId}`, { name: 'Step-up App 2' }),
      status: 200,
    },
    {
      name: 'createSsoConnection',
      run: () =>
        user.client.post(connections, {
          type: 'saml',
          name: 'Okta',
          idpEntityId: 'http://www.okta.com/step-up',
          idpSsoUrl: 'https://acme.okta.example/app/sso/saml',
          idpCertificates: [certificate()],
        }),
      status: 201,
      after: (body) => {
        state.connectionId = body.data.id;
      },
    },
    {
      name: 'updateSsoConnection',
      run: () => user.client.put(`${connections}/${state.connectionId}`, { name: 'Okta (EU)' }),
      status: 200,
    },
    {
      name: 'deleteSsoConnection',
      run: () => user.client.delete(`${connections}/${state.connectionId}`),
      status: 200,
    },
    {
      name: 'deleteOrganizationDomain',
      // Adding a domain is not a step-up route: the first (refused) try adds the one the delete removes.
      run: async () => {
        if (!state.domainId) {
          const added = await user.client.post(`/api/user/organizations/${user.organizationId}/domains`, {
            domain: `step-up-${Date.now()}.example.com`,
          });
          expect(added.status, JSON.stringify(added.body)).toBe(201);
          state.domainId = added.body.data.id;
        }
        return user.client.delete(`/api/user/organizations/${user.organizationId}/domains/${state.domainId}`);
      },
      status: 200,
    },
    {
      name: 'changePassword',
      run: () =>
        user.client.post('/api/auth/change-password', {
          currentPassword: PASSWORD,
          newPassword: 'another-long-passphrase',
        }),
      status: 200,
    },
    { name: 'deleteMe', run: () => user.client.delete('/api/user/me'), status: 200 },
  ];
  return changes;
}

describe('step-up before sensitive changes', () => {
  it('asks each sensitive route for a fresh second factor, and lets it through right after one', async () => {
    const user = await personWithTotp();
    const changes = sensitiveChanges(user);
    expect(changes).toHaveLength(10);
    for (const [index, change] of changes.entries()) {
      await ageSecondFactor(stack, { sessionId: user.sessionId });
      expectStepUpRequired(await change.run(), change.name);
      const steppedUp = await stepUp(user.client, { type: 'recovery_code', code: user.recoveryCodes[index]! });
      expect(steppedUp.status, `${change.name} step-up: ${JSON.stringify(steppedUp.body)}`).toBe(200);
      expect(steppedUp.body.data.session.id).toBe(user.sessionId);
      const done = await change.run();
      expect(done.status, `${change.name}: ${JSON.stringify(done.body)}`).toBe(change.status);
      change.after?.(done.body);
    }
  }, 120_000);

  it('goes stale MFA_STEP_UP_SECONDS after the factor was proven, and a TOTP step-up refreshes the session', async () => {
    const user = await personWithTotp();
    // Confirming the app proved it in this session: fresh at once.
    expect((await user.client.post('/api/auth/api-key/create', { name: 'a', scopes: ['user:read'] })).status).toBe(200);
    // Still inside the window a little before it ends; past it by a second, refused.
    await ageSecondFactor(stack, { sessionId: user.sessionId }, stepUpSeconds() - 30);
    expect((await user.client.post('/api/auth/api-key/create', { name: 'a2', scopes: ['user:read'] })).status).toBe(
      200,
    );
    await ageSecondFactor(stack, { sessionId: user.sessionId }, stepUpSeconds() + 1);
    expectStepUpRequired(
      await user.client.post('/api/auth/api-key/create', { name: 'b', scopes: ['user:read'] }),
      'createApiKey',
    );
    const before = Date.now();
    const steppedUp = await stepUp(user.client, { type: 'totp', code: totpCodeAt(user.secret, 1) });
    expect(steppedUp.status, JSON.stringify(steppedUp.body)).toBe(200);
    // A step-up makes no new session and sets no cookie.
    expect(steppedUp.headers.getSetCookie()).toEqual([]);
    expect(steppedUp.body.data.session.id).toBe(user.sessionId);
    expect((await user.client.post('/api/auth/api-key/create', { name: 'c', scopes: ['user:read'] })).status).toBe(200);
    const session = await currentSession(user.client);
    expect(session.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(Date.parse(session.secondFactorAt)).toBeGreaterThanOrEqual(before - 1_000);
  });

  it('refuses a step-up challenge answered by another session or by nobody, without spending it', async () => {
    const user = await personWithTotp();
    await ageSecondFactor(stack, { sessionId: user.sessionId });
    const started = await user.client.post('/api/user/mfa/step-up', {});
    expect(started.status).toBe(200);
    expect(started.body.data).toMatchObject({ mfaRequired: true, factors: ['totp', 'recovery_code'], attemptsLeft: 5 });
    const challengeId: string = started.body.data.challengeId;

    // The same person in another browser: signed in with both factors, still not this session.
    const other = new ApiClient(stack.urls.gateway);
    const signIn = await other.post('/api/auth/sign-in/email', { email: user.email, password: PASSWORD });
    const signedIn = await other.post('/api/auth/mfa/verify', {
      challengeId: signIn.body.data.challengeId,
      type: 'recovery_code',
      code: user.recoveryCodes[0],
    });
    expect(signedIn.status).toBe(200);
    const anonymous = new ApiClient(stack.urls.gateway);
    for (const [who, client] of [
      ['another session', other],
      ['no session', anonymous],
    ] as const) {
      const refused = await client.post('/api/auth/mfa/verify', {
        challengeId,
        type: 'recovery_code',
        code: user.recoveryCodes[1],
      });
      expect(refused.status, who).toBe(403);
      expect(refused.body.code, who).toBe('FORBIDDEN');
    }
    // A sign-in challenge is not a step-up: the other session's own flow did not refresh this one.
    expectStepUpRequired(
      await user.client.post('/api/auth/api-key/create', { name: 'x', scopes: ['user:read'] }),
      'createApiKey',
    );
    const own = await user.client.post('/api/auth/mfa/verify', {
      challengeId,
      type: 'recovery_code',
      code: user.recoveryCodes[1],
    });
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect((await user.client.post('/api/auth/api-key/create', { name: 'y', scopes: ['user:read'] })).status).toBe(200);
  });

  it('changes nothing for an account without a second factor', async () => {
    const user = await person();
    await ageSecondFactor(stack, { sessionId: user.sessionId });
    const notFound = await user.client.post('/api/user/mfa/step-up', {});
    expect(notFound.status).toBe(404);
    expect(notFound.body.code).toBe('NOT_FOUND');
    for (const change of sensitiveChanges(user)) {
      const done = await change.run();
      expect(done.status, `${change.name}: ${JSON.stringify(done.body)}`).toBe(change.status);
      change.after?.(done.body);
    }
  }, 60_000);

  it('does not ask a personal access token (it cannot present a factor)', async () => {
    const user = await personWithTotp();
    const pat = await createKey(user.client, { name: 'automation', scopes: ['api-keys:write', 'user:write'] });
    await ageSecondFactor(stack, { sessionId: user.sessionId });
    const automation = keyClient(stack, pat.key);
    const created = await automation.post('/api/auth/api-key/create', { name: 'child', scopes: ['user:write'] });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const renamed = await automation.post('/api/auth/api-key/update', { keyId: created.body.data.id, name: 'child 2' });
    expect(renamed.status).toBe(200);
    const app = await automation.post('/api/user/oauth-apps', {
      name: 'Robot App',
      type: 'public',
      redirectUris: ['https://robot.example.com/cb'],
      allowedScopes: ['openid'],
    });
    expect(app.status, JSON.stringify(app.body)).toBe(201);
    // The session beside it still is asked.
    expectStepUpRequired(
      await user.client.post('/api/auth/api-key/create', { name: 'z', scopes: ['user:read'] }),
      'createApiKey',
    );
  });
});
