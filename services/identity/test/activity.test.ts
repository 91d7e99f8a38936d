import { newId } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedKeyPair } from '../../../infra/local/keys.js';
import { totpCode } from '../../../test/support/totp.js';
import { operatorContext } from '../src/build-context.js';
import { commit } from '../src/context.js';
import { totpAad } from '../src/factors/totp.js';
import { issueToken } from '../src/one-time-tokens/service.js';
import { readCertificate } from '../src/sso/metadata-input.js';
import { activitySuite, expectContext, PASSWORD } from './activity-support.js';
import { type IdentityHarness, startIdentity } from './harness.js';

/**
 * What identity records for the audit log itself (events.identity.activity.recorded), read from its outbox:
 * the action, the log, the target, changes without secrets, and the request's actor, ip and user agent.
 */
let h: IdentityHarness;
const suite = activitySuite(() => h);
const { sql, call, signUp, sessionOf, member, activities, theRecord } = suite;

beforeAll(async () => {
  h = await startIdentity();
});
afterAll(async () => {
  await h?.close();
});

const anonymous = { kind: 'anonymous' } as const;
const signIn = (email: string, password: string) =>
  call('POST', '/api/auth/sign-in/email', anonymous, { email, password });

describe('sign-in activity', () => {
  it('records session.created in the account log, the account as actor, the amr as method', async () => {
    const user = await signUp();
    const res = await signIn(user.email, PASSWORD);
    expect(res.statusCode, res.body).toBe(200);
    const [session] = await sql('select id from sessions where user_id = ?', [user.id]);
    const event = await theRecord('session.created', { userId: user.id });
    expect(event.data).toEqual({
      action: 'session.created',
      organizationId: null,
      userId: user.id,
      actor: { type: 'user', id: user.id },
      target: { type: 'session', id: session.id },
      changes: { method: { after: ['pwd'] } },
      outcome: 'success',
    });
    expectContext(event, res.requestId);
    expect(JSON.stringify(event)).not.toContain(PASSWORD);
  });

  it('records a wrong password as sign_in.failed (committed despite the 401), an unknown email not at all', async () => {
    const user = await signUp();
    const before = await activities({ action: 'sign_in.failed' });
    const unknown = await signIn(`nobody-${newId().toLowerCase()}@example.com`, PASSWORD);
    expect(unknown.statusCode).toBe(401);
    const wrong = await signIn(user.email, 'not-the-passphrase-at-all');
    expect(wrong.statusCode).toBe(401);
    const event = await theRecord('sign_in.failed', { userId: user.id });
    expect(event.data).toMatchObject({
      organizationId: null,
      userId: user.id,
      actor: { type: 'user', id: user.id },
      target: { type: 'user', id: user.id },
      outcome: 'failure',
      reason: 'invalid_password',
      changes: { method: { after: 'password' } },
    });
    expectContext(event, wrong.requestId);
    expect(JSON.stringify(event)).not.toContain('not-the-passphrase-at-all');
    // Both refusals were recorded after answering, in order: only the existing account's is there.
    const after = await activities({ action: 'sign_in.failed' });
    expect(after.length - before.length).toBe(1);
    const [history] = await sql('select success, failure_reason from login_events where user_id = ?', [user.id]);
    expect(history).toEqual({ success: false, failure_reason: 'wrong_password' });
  });

  it('records a deactivated account refused as sign_in.failed account_not_active', async () => {
    const user = await signUp();
    await sql('update users set is_active = false where id = ?', [user.id]);
    const refused = await signIn(user.email, PASSWORD);
    expect(refused.json()).toMatchObject({ code: 'USER_NOT_ACTIVE' });
    const event = await theRecord('sign_in.failed', { userId: user.id });
    expect(event.data).toMatchObject({ outcome: 'failure', reason: 'account_not_active' });
  });

  it('records a magic link refused to a deactivated account, though the link stays unspent', async () => {
    const user = await signUp();
    const token = await commit(operatorContext(h.service.deps), (em) => issueToken(em, user.id, 'magic_link', 900));
    await sql('update users set is_active = false where id = ?', [user.id]);
    const refused = await call('POST', '/api/auth/magic-link/verify', anonymous, { token });
    expect(refused.json()).toMatchObject({ code: 'USER_NOT_ACTIVE' });
    const event = await theRecord('sign_in.failed', { userId: user.id });
    expect(event.data).toMatchObject({ reason: 'account_not_active', changes: { method: { after: 'magic_link' } } });
    expectContext(event, refused.requestId);
    expect(JSON.stringify(event)).not.toContain(token);
  });
});

describe('second-factor sign-in activity', () => {
  const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

  it('records a wrong second factor as sign_in.failed, then session.created once the right one is proven', async () => {
    const user = await signUp();
    const keys = operatorContext(h.service.deps).mfaKeys;
    await sql('insert into mfa_totp (user_id, secret_sealed, confirmed_at, created_at) values (?, ?, now(), now())', [
      user.id,
      keys.seal(SECRET, totpAad(user.id)),
    ]);
    const first = await signIn(user.email, PASSWORD);
    expect(first.statusCode, first.body).toBe(200);
    const { challengeId } = first.json().data as { challengeId: string };
    // The first factor alone opens no session: nothing recorded yet.
    expect(await activities({ userId: user.id, action: 'session.created' })).toEqual([]);

    const code = totpCode(SECRET);
    const wrong = await call('POST', '/api/auth/mfa/verify', anonymous, {
      challengeId,
      type: 'totp',
      code: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.statusCode).toBe(401);
    const failure = await theRecord('sign_in.failed', { userId: user.id });
    expect(failure.data).toMatchObject({
      outcome: 'failure',
      reason: 'invalid_second_factor',
      changes: { method: { after: 'password' }, secondFactor: { after: 'totp' } },
    });
    expectContext(failure, wrong.requestId);

    const right = await call('POST', '/api/auth/mfa/verify', anonymous, { challengeId, type: 'totp', code });
    expect(right.statusCode, right.body).toBe(200);
    const created = await theRecord('session.created', { userId: user.id });
    expect(created.data).toMatchObject({
      actor: { type: 'user', id: user.id },
      changes: { method: { after: ['pwd', 'otp', 'mfa'] } },
    });
    expectContext(created, right.requestId);
    expect(JSON.stringify([failure, created])).not.toContain(code);
  });
});

describe('password activity', () => {
  it('records user.password_changed for a signed-in change, user.password_reset for a reset by link', async () => {
    const user = await signUp();
    const changed = await call('POST', '/api/auth/change-password', sessionOf(user.id), {
      currentPassword: PASSWORD,
      newPassword: 'another-long-passphrase',
      revokeOtherSessions: true,
    });
    expect(changed.statusCode, changed.body).toBe(200);
    const change = await theRecord('user.password_changed', { userId: user.id });
    expect(change.data).toMatchObject({
      organizationId: null,
      userId: user.id,
      target: { type: 'user', id: user.id },
      changes: { otherSessionsRevoked: { after: true } },
    });
    expectContext(change, changed.requestId, { type: 'user', id: user.id });

    const token = await commit(operatorContext(h.service.deps), (em) =>
      issueToken(em, user.id, 'reset_password', 3600),
    );
    const reset = await call('POST', '/api/auth/reset-password', anonymous, {
      token,
      newPassword: 'a-third-long-passphrase',
    });
    expect(reset.statusCode, reset.body).toBe(200);
    const event = await theRecord('user.password_reset', { userId: user.id });
    expect(event.data).toMatchObject({ actor: { type: 'user', id: user.id }, target: { type: 'user', id: user.id } });
    expectContext(event, reset.requestId);
    for (const secret of [token, PASSWORD, 'another-long-passphrase', 'a-third-long-passphrase']) {
      expect(JSON.stringify([change, event])).not.toContain(secret);
    }
  });
});

describe('API key activity', () => {
  it('records api_key.created with its scopes, pin and expiry, api_key.updated for a rename, never the key', async () => {
    const organizationId = newId();
    const owner = await member(organizationId);
    const created = await call('POST', '/api/auth/api-key/create', owner.principal, {
      name: 'CI',
      scopes: ['projects:read'],
      expiresIn: 86_400,
      metadata: { organizationId },
    });
    expect(created.statusCode, created.body).toBe(200);
    const key = created.json().data as { id: string; key: string; expiresAt: string };
    const event = await theRecord('api_key.created', { targetId: key.id });
    expect(event.data).toEqual({
      action: 'api_key.created',
      organizationId: null,
      userId: owner.id,
      target: { type: 'api_key', id: key.id, name: 'CI' },
      changes: {
        scopes: { after: ['projects:read'] },
        organizationId: { after: organizationId },
        expiresAt: { after: key.expiresAt },
      },
      outcome: 'success',
    });
    expectContext(event, created.requestId, { type: 'user', id: owner.id });
    expect(JSON.stringify(event)).not.toContain(key.key);

    const renamed = await call('POST', '/api/auth/api-key/update', owner.principal, { keyId: key.id, name: 'Deploy' });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const update = await theRecord('api_key.updated', { targetId: key.id });
    expect(update.data).toMatchObject({
      target: { type: 'api_key', id: key.id, name: 'Deploy' },
      changes: { name: { before: 'CI', after: 'Deploy' } },
    });
    // Switching off is api_key.revoked (from credential.revoked): no api_key.updated for it.
    await call('POST', '/api/auth/api-key/update', owner.principal, { keyId: key.id, enabled: false });
    expect(await activities({ targetId: key.id, action: 'api_key.updated' })).toHaveLength(1);
  });
});

describe('OAuth app activity', () => {
  it('records oauth_app.created, updated, secret_rotated and deleted by client id, never the secret', async () => {
    const user = await signUp();
    const principal = sessionOf(user.id);
    const base = '/api/user/oauth-apps';
    const created = await call('POST', base, principal, {
      name: 'Reporter',
      redirectUris: ['https://app.example/callback'],
      type: 'confidential',
      allowedScopes: ['projects:read'],
    });
    expect(created.statusCode, created.body).toBe(201);
    const app = created.json().data as { clientId: string; clientSecret: string };
    const creation = await theRecord('oauth_app.created', { targetId: app.clientId });
    expect(creation.data).toMatchObject({
      userId: user.id,
      organizationId: null,
      target: { type: 'oauth_app', id: app.clientId, name: 'Reporter' },
      changes: { name: { after: 'Reporter' }, clientType: { after: 'confidential' } },
    });

    const updated = await call('PUT', `${base}/${app.clientId}`, principal, { name: 'Reports', rotateSecret: true });
    expect(updated.statusCode, updated.body).toBe(200);
    const newSecret = updated.json().data.clientSecret as string;
    const update = await theRecord('oauth_app.updated', { targetId: app.clientId });
    expect(update.data.changes).toEqual({ name: { before: 'Reporter', after: 'Reports' } });
    const rotation = await theRecord('oauth_app.secret_rotated', { targetId: app.clientId });
    expectContext(rotation, updated.requestId, { type: 'user', id: user.id });

    expect((await call('DELETE', `${base}/${app.clientId}`, principal)).statusCode).toBe(200);
    await theRecord('oauth_app.deleted', { targetId: app.clientId });
    const all = JSON.stringify(await activities({ targetId: app.clientId }));
    expect(all).not.toContain(app.clientSecret);
    expect(all).not.toContain(newSecret);
  });
});

describe('SSO activity', () => {
  it('records connections and domains in the organization log, changes of non-secret fields only', async () => {
    const organizationId = newId();
    const owner = await member(organizationId);
    const base = `/api/user/organizations/${organizationId}`;
    const { certificatePem } = selfSignedKeyPair('Activity IdP', 30);
    const created = await call('POST', `${base}/sso-connections`, owner.principal, {
      type: 'saml',
      name: 'Okta',
      idpEntityId: 'https://idp.example/entity',
      idpSsoUrl: 'https://idp.example/sso',
      idpCertificates: [certificatePem],
    });
    expect(created.statusCode, created.body).toBe(201);
    const connectionId = created.json().data.id as string;
    const creation = await theRecord('sso_connection.created', { targetId: connectionId });
    expect(creation.data).toMatchObject({
      organizationId,
      userId: null,
      target: { type: 'sso_connection', id: connectionId, name: 'Okta' },
      changes: {
        type: { after: 'saml' },
        idpEntityId: { after: 'https://idp.example/entity' },
        idpCertificates: { after: [readCertificate(certificatePem).fingerprint] },
      },
    });
    expectContext(creation, created.requestId, { type: 'user', id: owner.id });

    const updated = await call('PUT', `${base}/sso-connections/${connectionId}`, owner.principal, {
      name: 'Okta EU',
      allowIdpInitiated: true,
    });
    expect(updated.statusCode, updated.body).toBe(200);
    const update = await theRecord('sso_connection.updated', { targetId: connectionId });
    expect(update.data.changes).toEqual({
      name: { before: 'Okta', after: 'Okta EU' },
      allowIdpInitiated: { before: false, after: true },
    });
    expect((await call('DELETE', `${base}/sso-connections/${connectionId}`, owner.principal)).statusCode).toBe(200);
    const deletion = await theRecord('sso_connection.deleted', { targetId: connectionId });
    expect(deletion.data.target).toEqual({ type: 'sso_connection', id: connectionId, name: 'Okta EU' });

    const added = await call('POST', `${base}/domains`, owner.principal, { domain: 'Activity.Example' });
    expect(added.statusCode, added.body).toBe(201);
    const domain = added.json().data as { id: string; verification: { value: string } };
    const addition = await theRecord('sso_domain.added', { targetId: domain.id });
    expect(addition.data).toMatchObject({
      organizationId,
      userId: null,
      target: { type: 'sso_domain', id: domain.id, name: 'activity.example' },
    });
    expect(JSON.stringify(addition)).not.toContain(domain.verification.value.split('=')[1]);
    expect((await call('DELETE', `${base}/domains/${domain.id}`, owner.principal)).statusCode).toBe(200);
    await theRecord('sso_domain.removed', { targetId: domain.id });
  });
});

describe('directory activity', () => {
  it('records created, updated, token_rotated and deleted in the organization log, never a token', async () => {
    const organizationId = newId();
    const owner = await member(organizationId);
    const base = `/api/user/organizations/${organizationId}/directories`;
    const created = await call('POST', base, owner.principal, { name: 'Okta' });
    expect(created.statusCode, created.body).toBe(201);
    const { directory, token } = created.json().data as { directory: { id: string }; token: string };
    const creation = await theRecord('directory.created', { targetId: directory.id });
    expect(creation.data).toMatchObject({
      organizationId,
      userId: null,
      target: { type: 'directory', id: directory.id, name: 'Okta' },
      changes: { name: { after: 'Okta' }, defaultRole: { after: 'member' }, roleMapping: { after: [] } },
    });
    expectContext(creation, created.requestId, { type: 'user', id: owner.id });

    const updated = await call('PUT', `${base}/${directory.id}`, owner.principal, {
      roleMapping: [{ group: 'Admins', role: 'admin' }],
    });
    expect(updated.statusCode, updated.body).toBe(200);
    const update = await theRecord('directory.updated', { targetId: directory.id });
    expect(update.data.changes).toEqual({ roleMapping: { before: [], after: [{ group: 'Admins', role: 'admin' }] } });

    const rotated = await call('POST', `${base}/${directory.id}/rotate-token`, owner.principal, { overlapSeconds: 0 });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const rotation = await theRecord('directory.token_rotated', { targetId: directory.id });
    expect(rotation.data.changes).toEqual({ overlapSeconds: { after: 0 } });

    expect((await call('DELETE', `${base}/${directory.id}`, owner.principal)).statusCode).toBe(200);
    await theRecord('directory.deleted', { targetId: directory.id });
    const all = JSON.stringify(await activities({ targetId: directory.id }));
    expect(all).not.toContain(token);
    expect(all).not.toContain(rotated.json().data.token);
  });
});
