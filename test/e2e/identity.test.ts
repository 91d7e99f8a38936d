import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { createKey, keyClient, mailedToken, PASSWORD, signedInUser, uniqueEmail } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_EMAIL_MAX: '1000' },
    { API_KEY_MAX_PER_USER: 3 },
  );
});
afterAll(async () => {
  await stack?.close();
});

async function sql(query: string, params: unknown[] = []) {
  return stack.identity.deps.orm.em.fork().execute(query, params);
}

describe('identity: email verification and password reset', () => {
  it('verifies through the mailed link, once, and /me shows it', async () => {
    const user = await signedInUser(stack, 'Verify Me');
    const token = await mailedToken(stack, user.email, '/verify-email?token=');
    const anonymous = new ApiClient(stack.urls.gateway);
    // With the account's own session, so its credentials stay (docs/accounts.md).
    expect((await user.client.get(`/api/auth/verify-email?token=${token}`)).status).toBe(200);
    expect((await anonymous.get(`/api/auth/verify-email?token=${token}`)).body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
    const me = await user.client.get('/api/user/me');
    expect(me.body.data).toMatchObject({ isVerified: true });
    expect(Date.parse(me.body.data.verifiedAt)).toBeGreaterThan(0);
  });

  it('re-sends verification only where it helps, and answers the same for unknown addresses', async () => {
    const user = await signedInUser(stack, 'Resend Me');
    const before = stack.smtp.received.length;
    const anonymous = new ApiClient(stack.urls.gateway);
    const known = await anonymous.post('/api/auth/send-verification-email', { email: user.email });
    const unknown = await anonymous.post('/api/auth/send-verification-email', { email: uniqueEmail('ghost') });
    expect(known.status).toBe(200);
    expect(unknown.status).toBe(200);
    expect(unknown.body.message).toBe(known.body.message);
    await eventually(async () => expect(stack.smtp.received.length).toBe(before + 1));
  });

  it('resets a password with a single-use link and ends every session', async () => {
    const user = await signedInUser(stack, 'Forgetful');
    const anonymous = new ApiClient(stack.urls.gateway);
    const ghost = await anonymous.post('/api/auth/request-password-reset', { email: uniqueEmail('nobody') });
    const real = await anonymous.post('/api/auth/request-password-reset', { email: user.email });
    expect(ghost.status).toBe(200);
    expect(real.status).toBe(200);
    expect(ghost.body.message).toBe(real.body.message);
    const token = await mailedToken(stack, user.email, '/reset-password');
    const reset = await anonymous.post('/api/auth/reset-password', { token, newPassword: 'a-brand-new-passphrase' });
    expect(reset.status).toBe(200);
    expect(
      (await anonymous.post('/api/auth/reset-password', { token, newPassword: 'yet-another-passphrase' })).body.code,
    ).toBe('INVALID_OR_EXPIRED_TOKEN');
    await eventually(
      async () => expect((await user.client.get('/api/user/me')).body.code).toBe('INVALID_OR_EXPIRED_TOKEN'),
      1000,
      20,
    );
    expect((await anonymous.post('/api/auth/sign-in/email', { email: user.email, password: PASSWORD })).status).toBe(
      401,
    );
    expect(
      (await anonymous.post('/api/auth/sign-in/email', { email: user.email, password: 'a-brand-new-passphrase' }))
        .status,
    ).toBe(200);
  });

  it('refuses an expired reset link', async () => {
    const user = await signedInUser(stack, 'Late Reader');
    await new ApiClient(stack.urls.gateway).post('/api/auth/request-password-reset', { email: user.email });
    const token = await mailedToken(stack, user.email, '/reset-password');
    await sql(
      "update one_time_tokens set expires_at = now() - interval '1 second' where user_id = ? and purpose = 'reset_password'",
      [user.userId],
    );
    const res = await new ApiClient(stack.urls.gateway).post('/api/auth/reset-password', {
      token,
      newPassword: 'a-brand-new-passphrase',
    });
    expect(res.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
  });
});

describe('identity: sessions and account', () => {
  it('changes the password and revokes the other sessions only', async () => {
    const user = await signedInUser(stack, 'Two Devices');
    const laptop = new ApiClient(stack.urls.gateway);
    await laptop.post('/api/auth/sign-in/email', { email: user.email, password: PASSWORD });
    const sessions = await user.client.get('/api/user/sessions');
    expect(sessions.body.data).toHaveLength(2);
    expect(sessions.body.data.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    const wrong = await user.client.post('/api/auth/change-password', {
      currentPassword: 'nope-nope-nope',
      newPassword: 'changed-passphrase-1',
    });
    expect(wrong.status).toBe(401);
    const changed = await user.client.post('/api/auth/change-password', {
      currentPassword: PASSWORD,
      newPassword: 'changed-passphrase-1',
      revokeOtherSessions: true,
    });
    expect(changed.status).toBe(200);
    await eventually(async () => expect((await laptop.get('/api/user/me')).status).toBe(401), 1000, 20);
    expect((await user.client.get('/api/user/me')).status).toBe(200);
  });

  it('deletes one session through the gateway, effective within a second', async () => {
    const user = await signedInUser(stack, 'Lost Phone');
    const phone = new ApiClient(stack.urls.gateway);
    await phone.post('/api/auth/sign-in/email', { email: user.email, password: PASSWORD });
    expect((await phone.get('/api/user/me')).status).toBe(200);
    const list = await user.client.get('/api/user/sessions');
    const other = list.body.data.find((session: { current: boolean }) => !session.current);
    expect((await user.client.delete(`/api/user/sessions/${other.id}`)).status).toBe(200);
    await eventually(
      async () => expect((await phone.get('/api/user/me')).body.code).toBe('INVALID_OR_EXPIRED_TOKEN'),
      1000,
      20,
    );
    expect((await user.client.delete(`/api/user/sessions/${other.id}`)).status).toBe(404);
  });

  it('updates the profile, with a unique handle', async () => {
    const first = await signedInUser(stack, 'Handle Owner');
    const second = await signedInUser(stack, 'Handle Wanter');
    const me = (await first.client.get('/api/user/me')).body.data;
    const taken = await second.client.put('/api/user/me', { handle: me.handle });
    expect(taken.status).toBe(409);
    expect(taken.body.meta.reason).toBe('HANDLE_TAKEN');
    const updated = await second.client.put('/api/user/me', { fullName: 'New Name', handle: 'fresh-handle' });
    expect(updated.body.data).toMatchObject({ fullName: 'New Name', handle: 'fresh-handle' });
    expect((await second.client.put('/api/user/me', { handle: 'Not Valid!' })).body.meta.errors[0].field).toBe(
      'handle',
    );
  });

  it('records login history, exports data without secrets, and deletes the account with its credentials', async () => {
    const user = await signedInUser(stack, 'Leaving Soon');
    await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: user.email,
      password: 'wrong-password!!',
    });
    // Failed attempts are recorded just after the answer (so they cost no extra time), hence eventually.
    await eventually(async () => {
      const history = await user.client.get('/api/user/me/login-history');
      expect(history.body.data.map((entry: { success: boolean }) => entry.success)).toEqual([false, true]);
    });
    const key = await createKey(user.client, { name: 'soon gone', scopes: ['user:read'] });
    const exported = await user.client.get('/api/user/me/export');
    expect(exported.body.data.user.email).toBe(user.email);
    expect(exported.body.data.apiKeys).toHaveLength(1);
    const raw = JSON.stringify(exported.body);
    expect(raw).not.toContain(key.key);
    expect(raw).not.toMatch(/hash/i);
    expect((await keyClient(stack, key.key).get('/api/user/me')).status).toBe(200);
    expect((await user.client.delete('/api/user/me')).status).toBe(200);
    await eventually(
      async () => expect((await keyClient(stack, key.key).get('/api/user/me')).status).toBe(401),
      1000,
      20,
    );
    expect((await user.client.get('/api/user/me')).status).toBe(401);
    const again = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: user.email,
      password: PASSWORD,
    });
    expect(again.body.code).toBe('INVALID_CREDENTIALS');
    await eventually(async () => {
      const [row] = await stack.organization.deps.orm.em
        .fork()
        .execute('select count(*)::int as n from members where user_id = ?', [user.userId]);
      expect(row?.n).toBe(0);
    });
  });

  it('answers USER_NOT_ACTIVE for a deactivated account, at sign-in and for its keys', async () => {
    const user = await signedInUser(stack, 'Deactivated');
    const key = await createKey(user.client, { name: 'dormant', scopes: ['user:read'] });
    await sql('update users set is_active = false where id = ?', [user.userId]);
    const signIn = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: user.email,
      password: PASSWORD,
    });
    expect(signIn.body).toMatchObject({ status: 401, code: 'USER_NOT_ACTIVE' });
    expect((await keyClient(stack, key.key).get('/api/user/me')).body.code).toBe('USER_NOT_ACTIVE');
  });
});

describe('Personal Access Tokens', () => {
  it('bounds expiresIn and caps live keys per user', async () => {
    const user = await signedInUser(stack, 'Key Maker');
    const short = await user.client.post('/api/auth/api-key/create', {
      name: 'k',
      expiresIn: 10,
      scopes: ['user:read'],
    });
    expect(short.status).toBe(400);
    expect(short.body.meta.errors[0]).toMatchObject({ field: 'expiresIn', location: 'body' });
    const long = await user.client.post('/api/auth/api-key/create', {
      name: 'k',
      expiresIn: 10 ** 9,
      scopes: ['user:read'],
    });
    expect(long.status).toBe(400);
    const noExpiry = await createKey(user.client, { name: 'forever', scopes: ['user:read', 'user:read'] });
    expect(noExpiry.scopes).toEqual(['user:read']);
    expect((await user.client.post('/api/auth/api-key/create', { name: 'forever' })).status).toBe(400);
    await createKey(user.client, { name: 'two', scopes: ['user:read'] });
    await createKey(user.client, { name: 'three', scopes: ['user:read'] });
    const fourth = await user.client.post('/api/auth/api-key/create', { name: 'four', scopes: ['user:read'] });
    expect(fourth.status).toBe(409);
    expect(fourth.body.meta.reason).toBe('KEY_LIMIT');
  });

  it('holds the key cap under concurrent creation', async () => {
    const user = await signedInUser(stack, 'Racer');
    const attempts = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        user.client.post('/api/auth/api-key/create', { name: `race ${i}`, scopes: ['user:read'] }),
      ),
    );
    expect(attempts.filter((res) => res.status === 200)).toHaveLength(3);
    expect(attempts.filter((res) => res.status === 409)).toHaveLength(3);
    expect((await user.client.get('/api/auth/api-key/list')).body.meta.total).toBe(3);
  });

  it('lets a key with api-keys:write create only narrower keys with the same pin', async () => {
    const user = await signedInUser(stack, 'Automation');
    const admin = await createKey(user.client, {
      name: 'key admin',
      scopes: ['api-keys:write', 'api-keys:read', 'projects:read'],
      metadata: { organizationId: user.organizationId },
    });
    const bot = keyClient(stack, admin.key);
    const wider = await bot.post('/api/auth/api-key/create', { name: 'wider', scopes: ['projects:write'] });
    expect(wider.status).toBe(403);
    expect(wider.body).toMatchObject({ code: 'API_KEY_MISSING_SCOPES', meta: { requiredScopes: ['projects:write'] } });
    const narrower = await bot.post('/api/auth/api-key/create', { name: 'narrower', scopes: ['projects:read'] });
    expect(narrower.status).toBe(200);
    expect(narrower.body.data.metadata).toEqual({ organizationId: user.organizationId });
    const listed = await bot.get('/api/auth/api-key/list?limit=1');
    expect(listed.body.meta).toMatchObject({ total: 2, limit: 1, hasMore: true });
    const next = await bot.get(`/api/auth/api-key/list?limit=1&cursor=${listed.body.meta.nextCursor}`);
    expect(next.body.data[0].id).not.toBe(listed.body.data[0].id);
    expect(next.body.meta.hasMore).toBe(false);
  });

  it('disables, re-enables, expires and shows keys without their secret', async () => {
    const user = await signedInUser(stack, 'Key Keeper');
    const key = await createKey(user.client, { name: 'switchable', scopes: ['user:read'] });
    const bot = keyClient(stack, key.key);
    expect((await bot.get('/api/user/me')).status).toBe(200);
    const got = await user.client.get(`/api/auth/api-key/get?id=${key.id}`);
    expect(got.body.data).toMatchObject({ id: key.id, start: key.key.slice(0, 9), enabled: true });
    expect(got.body.data.key).toBeUndefined();
    await user.client.post('/api/auth/api-key/update', { keyId: key.id, enabled: false });
    await eventually(async () => expect((await bot.get('/api/user/me')).body.code).toBe('INVALID_API_KEY'), 1000, 20);
    await user.client.post('/api/auth/api-key/update', { keyId: key.id, enabled: true, name: 'renamed' });
    await eventually(async () => expect((await bot.get('/api/user/me')).status).toBe(200), 5000);
    await eventually(
      async () => {
        const shown = await user.client.get(`/api/auth/api-key/get?id=${key.id}`);
        expect(shown.body.data.lastUsedAt).not.toBeNull();
      },
      10_000,
      250,
    );
    const other = await signedInUser(stack, 'Snooper');
    expect((await other.client.get(`/api/auth/api-key/get?id=${key.id}`)).status).toBe(404);
    expect((await other.client.post('/api/auth/api-key/delete', { keyId: key.id })).status).toBe(404);
    const expiring = await createKey(user.client, { name: 'expiring', scopes: ['user:read'], expiresIn: 3600 });
    await sql("update api_keys set expires_at = now() - interval '1 second' where id = ?", [expiring.id]);
    expect((await keyClient(stack, expiring.key).get('/api/user/me')).body.code).toBe('INVALID_API_KEY');
  });

  it('stores only a hash of each key', async () => {
    const user = await signedInUser(stack, 'Hash Check');
    const key = await createKey(user.client, { name: 'hashed', scopes: ['user:read'] });
    const rows = await sql('select * from api_keys where id = ?', [key.id]);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(key.key);
    expect(stored).not.toContain(key.key.slice(9));
  });
});
