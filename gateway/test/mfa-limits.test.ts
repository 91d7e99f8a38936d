import type { HttpApp } from '@gatehouse/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/app.js';
import { createGatewayDeps, type GatewayDeps } from '../src/deps.js';
import { standaloneGatewayConfig } from './standalone.js';

/**
 * The second-factor, magic-link and passkey limits at a gateway on its own (real Redis). Nothing
 * listens upstream, so an admitted request fails after the pipeline (502/503): what matters is
 * whether the gateway answered 429 (or 400) first.
 */
let app: HttpApp;
let deps: GatewayDeps;
let nextIp = 1;
/** A client address no other test used, so each test starts with full per-IP budgets. */
const freshIp = () => `203.0.113.${nextIp++}`;
let nextTag = 0;
/** A fresh account tag, shaped like identity's (16 base64url characters). */
const freshTag = () =>
  `tag${String(nextTag++).padStart(4, '0')}${Math.random().toString(36).slice(2, 11)}`.slice(0, 16);
const challengeOf = (tag: string) => `${tag}.${'s'.repeat(43)}`;
const unique = (label: string) => `${label}-${Math.random().toString(36).slice(2)}@example.com`;

beforeAll(async () => {
  const config = await standaloneGatewayConfig({
    IDENTITY_URL: 'http://127.0.0.1:9',
    RATE_LIMIT_MFA_MAX: '3',
    RATE_LIMIT_MFA_IP_MAX: '5',
    RATE_LIMIT_EMAIL_MAX: '2',
    RATE_LIMIT_PASSKEY_MAX: '2',
  });
  deps = await createGatewayDeps(config);
  app = await buildGateway(deps);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await deps?.close();
});

const post = (url: string, ip: string, payload: unknown) =>
  app.inject({ method: 'POST', url, remoteAddress: ip, payload: payload as Record<string, unknown> });
const verify = (ip: string, challengeId: unknown) =>
  post('/api/auth/mfa/verify', ip, { challengeId, type: 'totp', code: '123456' });
const describeChallenge = (ip: string, challengeId: string) => post('/api/auth/mfa/challenge', ip, { challengeId });
const oauthMfaForm = (ip: string, form: string) =>
  app.inject({
    method: 'POST',
    url: '/oauth2/interaction/some-interaction/mfa',
    remoteAddress: ip,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:8080' },
    payload: form,
  });
const magicLink = (ip: string, email: string) => post('/api/auth/magic-link', ip, { email });
const passwordReset = (ip: string, email: string) => post('/api/auth/request-password-reset', ip, { email });

async function statuses(times: number, send: (attempt: number) => Promise<{ statusCode: number }>) {
  const seen: number[] = [];
  for (let attempt = 0; attempt < times; attempt++) seen.push((await send(attempt)).statusCode);
  return seen;
}
const limited = (seen: number[]) => seen.map((status) => status === 429);

describe('mfaVerify', () => {
  it('limits attempts per account tag across fresh challenges and addresses; another account is unaffected', async () => {
    const tag = freshTag();
    // Three different challenges of one account (the part after the dot differs), each from another address.
    const seen = await statuses(4, (n) => verify(freshIp(), `${tag}.${String(n).repeat(43)}`));
    expect(limited(seen)).toEqual([false, false, false, true]);
    const refused = await verify(freshIp(), challengeOf(tag));
    expect(refused.json()).toMatchObject({ success: false, status: 429, code: 'RATE_LIMIT_ERROR' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await verify(freshIp(), challengeOf(freshTag()))).statusCode).not.toBe(429);
  });

  it('shares the account budget between verify, describe and the OAuth login page’s second-factor form', async () => {
    const tag = freshTag();
    await verify(freshIp(), challengeOf(tag));
    await describeChallenge(freshIp(), challengeOf(tag));
    await oauthMfaForm(freshIp(), `challengeId=${challengeOf(tag)}&type=totp&code=123456`);
    expect((await verify(freshIp(), challengeOf(tag))).statusCode).toBe(429);
    expect((await oauthMfaForm(freshIp(), `challengeId=${challengeOf(tag)}&code=1`)).statusCode).toBe(429);
  });

  it('limits attempts per IP whatever the account', async () => {
    const ip = freshIp();
    const seen = await statuses(6, () => verify(ip, challengeOf(freshTag())));
    expect(limited(seen)).toEqual([false, false, false, false, false, true]);
    expect((await oauthMfaForm(ip, `challengeId=${challengeOf(freshTag())}`)).statusCode).toBe(429);
    expect((await verify(freshIp(), challengeOf(freshTag()))).statusCode).not.toBe(429);
  });

  it('refuses a challengeId that is not one string before spending anything, naming the field', async () => {
    const ip = freshIp();
    for (const challengeId of [['a.b'], 7, { tag: 'x' }, null]) {
      const answer = await verify(ip, challengeId);
      expect(answer.statusCode).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'VALIDATION_ERROR', meta: { errors: [{ field: 'challengeId' }] } });
    }
    const repeated = await oauthMfaForm(ip, `challengeId=${challengeOf('a')}&challengeId=${challengeOf('b')}`);
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json().meta.errors[0]).toMatchObject({ field: 'challengeId', error: 'must be given once' });
  });
});

describe('magicLink', () => {
  it('limits per email across addresses, trimmed and lower-cased', async () => {
    const email = unique('magic');
    expect(limited(await statuses(3, () => magicLink(freshIp(), email)))).toEqual([false, false, true]);
    expect((await magicLink(freshIp(), ` ${email.toUpperCase()} `)).statusCode).toBe(429);
  });

  it('limits per IP across emails', async () => {
    const ip = freshIp();
    expect(limited(await statuses(3, () => magicLink(ip, unique('ip'))))).toEqual([false, false, true]);
  });

  it('has a budget of its own, apart from password reset', async () => {
    const ip = freshIp();
    const email = unique('own');
    expect(limited(await statuses(2, () => magicLink(ip, email)))).toEqual([false, false]);
    expect(limited(await statuses(3, () => passwordReset(ip, email)))).toEqual([false, false, true]);
  });
});

describe('passkeyStart', () => {
  it('limits starting and finishing a passkey sign-in per IP, together', async () => {
    const ip = freshIp();
    await post('/api/auth/passkey/options', ip, {});
    await post('/api/auth/passkey/verify', ip, {});
    expect((await post('/api/auth/passkey/options', ip, {})).statusCode).toBe(429);
    expect((await post('/api/auth/passkey/options', freshIp(), {})).statusCode).not.toBe(429);
  });
});
