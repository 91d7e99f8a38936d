import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { PASSWORD, signedInUser } from '../support/flows.js';
import { userWithTotp } from '../support/mfa.js';
import { type Stack, startStack } from '../support/stack.js';
import { totpCode, totpCodeAt } from '../support/totp.js';

const ACCOUNT_BUDGET = 10;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_SIGN_IN_MAX: '1000',
    RATE_LIMIT_SIGN_UP_MAX: '1000',
    RATE_LIMIT_MFA_MAX: String(ACCOUNT_BUDGET),
    // Every request of this suite comes from 127.0.0.1: the per-IP budget must not be what refuses.
    RATE_LIMIT_MFA_IP_MAX: '1000',
    RATE_LIMIT_EMAIL_MAX: '3',
    // The magic-link case sends from several client addresses, as a proxy in front would say.
    TRUSTED_PROXIES: '127.0.0.1',
  });
});
afterAll(async () => {
  await stack?.close();
});

/** A fresh sign-in challenge (the password was right): its id. */
async function freshChallenge(email: string): Promise<string> {
  const answer = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', { email, password: PASSWORD });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(answer.body.data.mfaRequired).toBe(true);
  return answer.body.data.challengeId;
}

/** Six digits no window around now accepts. */
function wrongCode(secret: string): string {
  const accepted = new Set([-1, 0, 1].map((steps) => totpCodeAt(secret, steps)));
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (!accepted.has(candidate)) return candidate;
  }
}

const verify = (challengeId: string, code: string) =>
  new ApiClient(stack.urls.gateway).post('/api/auth/mfa/verify', { challengeId, type: 'totp', code });

describe('the per-account second-factor budget', () => {
  it('refuses the 11th attempt across fresh challenges of one account, and not another account from the same IP', async () => {
    const alice = await userWithTotp(stack, 'Alice Attempts');
    const bob = await userWithTotp(stack, 'Bob Bystander');
    const wrong = wrongCode(alice.secret);

    const seen: number[] = [];
    let challengeId = await freshChallenge(alice.email);
    for (let attempt = 1; attempt <= ACCOUNT_BUDGET; attempt++) {
      const answer = await verify(challengeId, wrong);
      seen.push(answer.status);
      expect(answer.body.code, `attempt ${attempt}`).toBe('INVALID_CREDENTIALS');
      // A challenge allows 5 wrong answers: the next attempts need a new one (a new password sign-in).
      if (attempt % 5 === 0) challengeId = await freshChallenge(alice.email);
    }
    expect(seen.every((status) => status !== 429)).toBe(true);

    const eleventh = await verify(challengeId, wrong);
    expect(eleventh.status).toBe(429);
    expect(eleventh.body).toMatchObject({ success: false, status: 429, code: 'RATE_LIMIT_ERROR' });
    expect(Number(eleventh.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right code waits: the budget is spent before identity is asked.
    expect((await verify(await freshChallenge(alice.email), totpCodeAt(alice.secret, 1))).status).toBe(429);

    // Bob signs in from the same address meanwhile, with his own budget.
    const bobSignIn = await verify(await freshChallenge(bob.email), totpCodeAt(bob.secret, 1));
    expect(bobSignIn.status, JSON.stringify(bobSignIn.body)).toBe(200);
    expect(bobSignIn.body.data.user.email).toBe(bob.email);
  });
});

describe('the per-account budget of signed-in second-factor routes', () => {
  it('spends the signed-in account’s budget confirming an app (no challenge in the body), and not another’s', async () => {
    const carol = await signedInUser(stack, 'Carol Confirm');
    const started = await carol.client.post('/api/user/mfa/totp/enroll', {});
    expect(started.status).toBe(200);
    const wrong = wrongCode(started.body.data.secret);
    for (let attempt = 1; attempt <= ACCOUNT_BUDGET; attempt++) {
      const answer = await carol.client.post('/api/user/mfa/totp/confirm', { code: wrong });
      expect(answer.body.code, `attempt ${attempt}`).toBe('INVALID_CREDENTIALS');
    }
    const refused = await carol.client.post('/api/user/mfa/totp/confirm', { code: totpCode(started.body.data.secret) });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMIT_ERROR');
    // Another session of the same account shares it; another account from this address does not.
    const again = new ApiClient(stack.urls.gateway);
    expect((await again.post('/api/auth/sign-in/email', { email: carol.email, password: PASSWORD })).status).toBe(200);
    expect((await again.post('/api/user/mfa/totp/confirm', { code: wrong })).status).toBe(429);
    const dave = await signedInUser(stack, 'Dave Different');
    await dave.client.post('/api/user/mfa/totp/enroll', {});
    expect((await dave.client.post('/api/user/mfa/totp/confirm', { code: wrong })).body.code).toBe(
      'INVALID_CREDENTIALS',
    );
  });
});

describe('the magic-link budget', () => {
  const from = (ip: string) => new ApiClient(stack.urls.gateway, { 'x-forwarded-for': ip });

  it('answers 429 once an address has been sent its share of links, from whatever client address', async () => {
    const mona = await signedInUser(stack, 'Mona Magic');
    const nora = await signedInUser(stack, 'Nora Neighbour');
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
      const sent = await from(ip).post('/api/auth/magic-link', { email: mona.email });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    }
    const refused = await from('198.51.100.4').post('/api/auth/magic-link', { email: mona.email });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMIT_ERROR');
    // The same address in other letters is the same budget.
    expect((await from('198.51.100.5').post('/api/auth/magic-link', { email: mona.email.toUpperCase() })).status).toBe(
      429,
    );
    // Another address from a client that already asked once is still served: the refusal was per email.
    expect((await from('198.51.100.1').post('/api/auth/magic-link', { email: nora.email })).status).toBe(200);
  });
});
