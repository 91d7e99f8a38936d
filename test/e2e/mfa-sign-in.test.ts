import { CHALLENGE_ID_PATTERN } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type ApiResponse, type Json } from '../support/client.js';
import { mailedToken, PASSWORD, signedInUser } from '../support/flows.js';
import { currentSession, GENEROUS_LIMITS, identitySql, userWithTotp } from '../support/mfa.js';
import { type Stack, startStack } from '../support/stack.js';
import { totpCodeAt } from '../support/totp.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(GENEROUS_LIMITS);
});
afterAll(async () => {
  await stack?.close();
});

async function passwordSignIn(on: Stack, email: string): Promise<{ client: ApiClient; answer: ApiResponse }> {
  const client = new ApiClient(on.urls.gateway);
  const answer = await client.post('/api/auth/sign-in/email', { email, password: PASSWORD });
  return { client, answer };
}

async function challengeFor(email: string, on: Stack = stack): Promise<{ client: ApiClient; challengeId: string }> {
  const { client, answer } = await passwordSignIn(on, email);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body.data.mfaRequired).toBe(true);
  return { client, challengeId: answer.body.data.challengeId };
}

const sql = (query: string, params?: unknown[]) => identitySql(stack, query, params);

function verify(client: ApiClient, body: Json) {
  return client.post('/api/auth/mfa/verify', body);
}

describe('sign-in with an authenticator app', () => {
  it('answers a challenge and no cookie after the password; the code makes the session (amr pwd, otp, mfa)', async () => {
    const user = await userWithTotp(stack);
    const { client, answer } = await passwordSignIn(stack, user.email);
    expect(answer.status).toBe(200);
    expect(answer.body.message).toBe('Second factor required');
    expect(answer.headers.getSetCookie()).toEqual([]);
    expect(answer.body.data).toEqual({
      mfaRequired: true,
      challengeId: expect.stringMatching(new RegExp(CHALLENGE_ID_PATTERN)),
      factors: ['totp', 'recovery_code'],
      expiresAt: expect.any(String),
      attemptsLeft: 5,
    });
    const ttl = Date.parse(answer.body.data.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(280_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    // Without the second step the password alone opened nothing.
    expect((await client.get('/api/user/me')).status).toBe(401);

    const verified = await verify(client, {
      challengeId: answer.body.data.challengeId,
      type: 'totp',
      code: totpCodeAt(user.secret, 1),
    });
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.headers.getSetCookie().some((cookie) => cookie.startsWith('gatehouse_session='))).toBe(true);
    expect(verified.body.data.user).toMatchObject({ id: user.userId, email: user.email });
    const me = await client.get('/api/user/me');
    expect(me.status).toBe(200);
    expect(me.body.data.id).toBe(user.userId);
    const session = await currentSession(client);
    expect(session.id).toBe(verified.body.data.session.id);
    expect(session.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(Math.abs(Date.parse(session.secondFactorAt) - Date.now())).toBeLessThan(60_000);
  });

  it('reads a challenge again with the attempts it has left', async () => {
    const user = await userWithTotp(stack);
    const { client, challengeId } = await challengeFor(user.email);
    await verify(client, { challengeId, type: 'totp', code: totpCodeAt(user.secret, 7) });
    const described = await client.post('/api/auth/mfa/challenge', { challengeId });
    expect(described.status).toBe(200);
    expect(described.body.data).toMatchObject({ mfaRequired: true, challengeId, attemptsLeft: 4 });
    expect(described.body.data.factors).toEqual(['totp', 'recovery_code']);
    const unknown = await client.post('/api/auth/mfa/challenge', { challengeId: `${challengeId.slice(0, -4)}AAAA` });
    expect(unknown.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
  });

  it('accepts each code once: the same code on a new challenge is a replay', async () => {
    const user = await userWithTotp(stack);
    const code = totpCodeAt(user.secret, 1);
    const first = await challengeFor(user.email);
    expect((await verify(first.client, { challengeId: first.challengeId, type: 'totp', code })).status).toBe(200);
    const second = await challengeFor(user.email);
    const replay = await verify(second.client, { challengeId: second.challengeId, type: 'totp', code });
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ code: 'INVALID_CREDENTIALS', meta: { attemptsLeft: 4 } });
    expect(replay.headers.getSetCookie()).toEqual([]);
    // The code that confirmed the app is spent too (its step is the app's last used one).
    const confirming = await verify(second.client, {
      challengeId: second.challengeId,
      type: 'totp',
      code: totpCodeAt(user.secret, 0),
    });
    expect(confirming.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('allows one step of clock drift and no more', async () => {
    const user = await userWithTotp(stack);
    const { client, challengeId } = await challengeFor(user.email);
    for (const steps of [2, -2, 3, -10]) {
      const refused = await verify(client, { challengeId, type: 'totp', code: totpCodeAt(user.secret, steps) });
      expect(refused.body.code, `${steps} steps away`).toBe('INVALID_CREDENTIALS');
    }
    // Four attempts spent, one left: the next step's code still gets in.
    const accepted = await verify(client, { challengeId, type: 'totp', code: totpCodeAt(user.secret, 1) });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
  });

  it('counts attempts first: after five wrong codes even the right one is refused', async () => {
    const user = await userWithTotp(stack);
    const { client, challengeId } = await challengeFor(user.email);
    for (const attemptsLeft of [4, 3, 2, 1, 0]) {
      const wrong = await verify(client, {
        challengeId,
        type: 'totp',
        code: totpCodeAt(user.secret, 20 + attemptsLeft),
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toMatchObject({ code: 'INVALID_CREDENTIALS', meta: { attemptsLeft } });
    }
    const right = totpCodeAt(user.secret, 1);
    const sixth = await verify(client, { challengeId, type: 'totp', code: right });
    expect(sixth.status).toBe(401);
    expect(sixth.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
    expect(sixth.headers.getSetCookie()).toEqual([]);
    const [challenge] = await sql('select attempts, used_at from mfa_challenges where user_id = ?', [user.userId]);
    expect(challenge).toMatchObject({ attempts: 5, used_at: null });
    // The refused code was never checked, so it still works on a new challenge.
    const again = await challengeFor(user.email);
    expect((await verify(again.client, { challengeId: again.challengeId, type: 'totp', code: right })).status).toBe(
      200,
    );
  });

  it('refuses a spent challenge', async () => {
    const user = await userWithTotp(stack);
    const { client, challengeId } = await challengeFor(user.email);
    expect((await verify(client, { challengeId, type: 'totp', code: totpCodeAt(user.secret, 1) })).status).toBe(200);
    const stranger = new ApiClient(stack.urls.gateway);
    for (const body of [
      { challengeId, type: 'recovery_code', code: user.recoveryCodes[0] },
      { challengeId, type: 'totp', code: totpCodeAt(user.secret, -1) },
    ]) {
      const spent = await verify(stranger, body);
      expect(spent.status).toBe(401);
      expect(spent.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
    }
    // The recovery code offered to the spent challenge was not used up.
    const next = await challengeFor(user.email);
    const withCode = await verify(next.client, {
      challengeId: next.challengeId,
      type: 'recovery_code',
      code: user.recoveryCodes[0],
    });
    expect(withCode.status).toBe(200);
  });

  it('takes a recovery code once, typed any way (amr otp, history recovery_code)', async () => {
    const user = await userWithTotp(stack);
    expect(user.recoveryCodes).toHaveLength(10);
    const code = user.recoveryCodes[3]!;
    const typed = code.toLowerCase().replaceAll('-', ' ');
    const first = await challengeFor(user.email);
    const used = await verify(first.client, { challengeId: first.challengeId, type: 'recovery_code', code: typed });
    expect(used.status, JSON.stringify(used.body)).toBe(200);
    expect((await currentSession(first.client)).amr).toEqual(['pwd', 'otp', 'mfa']);
    const second = await challengeFor(user.email);
    for (const again of [code, typed, code.replaceAll('-', '')]) {
      const refused = await verify(second.client, {
        challengeId: second.challengeId,
        type: 'recovery_code',
        code: again,
      });
      expect(refused.body.code, again).toBe('INVALID_CREDENTIALS');
    }
    const other = await verify(second.client, {
      challengeId: second.challengeId,
      type: 'recovery_code',
      code: user.recoveryCodes[4],
    });
    expect(other.status).toBe(200);
    const mfa = await second.client.get('/api/user/mfa');
    expect(mfa.body.data.recoveryCodesLeft).toBe(8);
    const history = await second.client.get('/api/user/me/login-history?sort=-at&limit=4');
    expect(history.body.data.map((item: Json) => [item.secondFactor, item.success])).toEqual([
      ['recovery_code', true],
      ['recovery_code', false],
      ['recovery_code', false],
      ['recovery_code', false],
    ]);
  });

  it('binds a challenge to its account: another tag, another secret or another account’s code fail', async () => {
    const alice = await userWithTotp(stack);
    const bob = await userWithTotp(stack);
    const aliceChallenge = await challengeFor(alice.email);
    const bobChallenge = await challengeFor(bob.email);
    const [aliceTag, aliceSecret] = aliceChallenge.challengeId.split('.') as [string, string];
    const [bobTag] = bobChallenge.challengeId.split('.') as [string, string];
    expect(aliceTag).not.toBe(bobTag);
    const aliceCode = totpCodeAt(alice.secret, 1);
    for (const challengeId of [
      `${bobTag}.${aliceSecret}`,
      `${'A'.repeat(16)}.${aliceSecret}`,
      `${aliceTag}.${aliceSecret.slice(0, -1)}${aliceSecret.endsWith('a') ? 'b' : 'a'}`,
    ]) {
      const refused = await verify(aliceChallenge.client, { challengeId, type: 'totp', code: aliceCode });
      expect(refused.body.code, challengeId).toBe('INVALID_OR_EXPIRED_TOKEN');
    }
    // Bob's own good code does not answer Alice's challenge.
    const crossed = await verify(aliceChallenge.client, {
      challengeId: aliceChallenge.challengeId,
      type: 'totp',
      code: totpCodeAt(bob.secret, 1),
    });
    expect(crossed.body.code).toBe('INVALID_CREDENTIALS');
    // None of that cost Alice her attempt budget beyond the crossed code.
    const ok = await verify(aliceChallenge.client, {
      challengeId: aliceChallenge.challengeId,
      type: 'totp',
      code: aliceCode,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.data.user.id).toBe(alice.userId);
  });

  it('refuses the second step of an account deactivated after its password was proven', async () => {
    const user = await userWithTotp(stack);
    const { client, challengeId } = await challengeFor(user.email);
    await sql('update users set is_active = false where id = ?', [user.userId]);
    const refused = await verify(client, { challengeId, type: 'totp', code: totpCodeAt(user.secret, 1) });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('USER_NOT_ACTIVE');
    expect(refused.headers.getSetCookie()).toEqual([]);
    // Nothing was spent: the challenge stays open and no session exists.
    const [challenge] = await sql('select used_at from mfa_challenges where user_id = ?', [user.userId]);
    expect(challenge?.used_at).toBeNull();
    const sessions = await sql('select id from sessions where user_id = ? and revoked_at is null', [user.userId]);
    expect(sessions).toHaveLength(1);
    const [event] = await sql(
      'select success, failure_reason, second_factor from login_events where user_id = ? order by id desc limit 1',
      [user.userId],
    );
    expect(event).toEqual({ success: false, failure_reason: 'deactivated', second_factor: 'totp' });
  });

  it('refuses malformed bodies with a 400 naming the field, before any check', async () => {
    const user = await userWithTotp(stack);
    const { client, challengeId } = await challengeFor(user.email);
    const cases: Array<[Json, string]> = [
      [{ type: 'totp', code: '123456' }, 'challengeId'],
      [{ challengeId: 'not-a-challenge', type: 'totp', code: '123456' }, 'challengeId'],
      [{ challengeId, type: 'totp', code: '12345' }, 'code'],
      [{ challengeId, type: 'totp', code: '12345a' }, 'code'],
      [{ challengeId, type: 'totp' }, 'code'],
      [{ challengeId, type: 'recovery_code', code: 'short' }, 'code'],
      [{ challengeId, type: 'sms', code: '123456' }, 'type'],
      [{ challengeId, type: 'passkey', credential: { id: 'x' } }, 'credential'],
    ];
    for (const [body, field] of cases) {
      const refused = await verify(client, body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.code).toBe('VALIDATION_ERROR');
      const fields = (refused.body.meta.errors as Array<{ field: string }>).map((error) => error.field);
      expect(
        fields.some((name) => name.includes(field)),
        `${JSON.stringify(body)} → ${fields}`,
      ).toBe(true);
    }
    const [challenge] = await sql('select attempts from mfa_challenges where user_id = ?', [user.userId]);
    expect(challenge?.attempts).toBe(0);
  });

  it('records the second factor in the login history, one row per attempt', async () => {
    const user = await userWithTotp(stack);
    const { client, challengeId } = await challengeFor(user.email);
    await verify(client, { challengeId, type: 'totp', code: totpCodeAt(user.secret, 9) });
    expect((await verify(client, { challengeId, type: 'totp', code: totpCodeAt(user.secret, 1) })).status).toBe(200);
    const history = await client.get('/api/user/me/login-history?sort=at');
    expect(history.status).toBe(200);
    const items = history.body.data as Json[];
    // signedInUser's own sign-in (before the app), the wrong code, the right one.
    expect(items.map((item) => [item.method, item.secondFactor, item.success])).toEqual([
      ['password', null, true],
      ['password', 'totp', false],
      ['password', 'totp', true],
    ]);
  });
});

describe('sign-in of an account without a second factor', () => {
  it('is unchanged: the session, its cookie and amr pwd at once', async () => {
    const user = await signedInUser(stack, 'One Step');
    const { client, answer } = await passwordSignIn(stack, user.email);
    expect(answer.status).toBe(200);
    expect(answer.body.message).toBe('Signed in successfully');
    expect(Object.keys(answer.body.data).sort()).toEqual(['session', 'user']);
    expect(Object.keys(answer.body.data.session).sort()).toEqual(['expiresAt', 'id']);
    expect(answer.headers.getSetCookie().some((cookie) => cookie.startsWith('gatehouse_session='))).toBe(true);
    const session = await currentSession(client);
    expect(session).toMatchObject({ id: answer.body.data.session.id, amr: ['pwd'], secondFactorAt: null });
    expect((await client.get('/api/user/mfa')).body.data).toMatchObject({ enabled: false, factors: [] });
  });

  it('keeps refusing a wrong password the same way', async () => {
    const user = await signedInUser(stack, 'Wrong Password');
    const anonymous = new ApiClient(stack.urls.gateway);
    const wrong = await anonymous.post('/api/auth/sign-in/email', { email: user.email, password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
    expect(wrong.headers.getSetCookie()).toEqual([]);
  });
});

describe('proof of the address by someone else', () => {
  it('clears the factors a pre-registering stranger set up, so the owner is not locked out', async () => {
    const squatter = await userWithTotp(stack);
    expect(await sql('select user_id from mfa_totp where user_id = ?', [squatter.userId])).toHaveLength(1);
    const token = await mailedToken(stack, squatter.email, '/verify-email?token=');
    // The address's owner follows the link without the squatter's session.
    const owner = new ApiClient(stack.urls.gateway);
    const verified = await owner.get(`/api/auth/verify-email?token=${token}`);
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(await sql('select user_id from mfa_totp where user_id = ?', [squatter.userId])).toEqual([]);
    expect(
      await sql('select id from mfa_recovery_codes where user_id = ? and used_at is null', [squatter.userId]),
    ).toEqual([]);
    expect((await squatter.client.get('/api/user/me')).status).toBe(401);
  });
});

describe('challenge expiry', () => {
  it('gives a challenge MFA_CHALLENGE_TTL_SECONDS, and refuses the right code once it expired', async () => {
    const user = await userWithTotp(stack);
    const { client, challengeId } = await challengeFor(user.email);
    const openChallenge = `user_id = ? and purpose = 'sign_in' and used_at is null`;
    const [row] = await sql(
      `select extract(epoch from expires_at - created_at)::int as ttl from mfa_challenges where ${openChallenge}`,
      [user.userId],
    );
    expect(row?.ttl).toBe(stack.identity.deps.config.MFA_CHALLENGE_TTL_SECONDS);
    // Its lifetime over (instead of waiting it out).
    await sql(`update mfa_challenges set expires_at = now() - interval '1 second' where ${openChallenge}`, [
      user.userId,
    ]);
    const late = await verify(client, { challengeId, type: 'totp', code: totpCodeAt(user.secret, 1) });
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
    expect((await client.post('/api/auth/mfa/challenge', { challengeId })).body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
    // A fresh challenge answered at once still works.
    const fresh = await challengeFor(user.email);
    const inTime = await verify(fresh.client, {
      challengeId: fresh.challengeId,
      type: 'totp',
      code: totpCodeAt(user.secret, 1),
    });
    expect(inTime.status).toBe(200);
  });
});
