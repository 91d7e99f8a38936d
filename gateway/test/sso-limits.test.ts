import type { HttpApp } from '@gatehouse/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/app.js';
import { createGatewayDeps, type GatewayDeps } from '../src/deps.js';
import { standaloneGatewayConfig } from './standalone.js';

/**
 * The SSO limits at a gateway on its own (real Redis). Nothing listens upstream, so an admitted
 * request fails after the pipeline (502/503): what matters is whether the gateway answered 429 first.
 */
let app: HttpApp;
let deps: GatewayDeps;
let nextIp = 1;
/** A client address no other test used, so each test starts with full per-IP budgets. */
const freshIp = () => `198.51.100.${nextIp++}`;
const unique = (label: string) => `${label}-${Math.random().toString(36).slice(2)}@example.com`;

beforeAll(async () => {
  const config = await standaloneGatewayConfig({
    IDENTITY_URL: 'http://127.0.0.1:9',
    RATE_LIMIT_SIGN_IN_MAX: '2',
    RATE_LIMIT_SSO_START_MAX: '3',
    RATE_LIMIT_SSO_FINISH_MAX: '2',
  });
  deps = await createGatewayDeps(config);
  app = await buildGateway(deps);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await deps?.close();
});

const identify = (ip: string, email: string) =>
  app.inject({ method: 'POST', url: '/api/auth/identify', remoteAddress: ip, payload: { email } });
const discover = (ip: string, email: string) =>
  app.inject({ method: 'GET', url: `/api/auth/sso/discover?email=${encodeURIComponent(email)}`, remoteAddress: ip });
const signIn = (ip: string, email: string) =>
  app.inject({
    method: 'POST',
    url: '/api/auth/sign-in/email',
    remoteAddress: ip,
    payload: { email, password: 'correct horse battery staple' },
  });
const callback = (ip: string) =>
  app.inject({ method: 'GET', url: '/api/auth/sso/callback?code=c&state=s', remoteAddress: ip });
const acs = (ip: string) =>
  app.inject({
    method: 'POST',
    url: '/api/auth/sso/saml/01JDA0000000000000000000AA/acs',
    remoteAddress: ip,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'SAMLResponse=PHNhbWw%2B&RelayState=x',
  });

async function statuses(times: number, send: (attempt: number) => Promise<{ statusCode: number }>) {
  const seen: number[] = [];
  for (let attempt = 0; attempt < times; attempt++) seen.push((await send(attempt)).statusCode);
  return seen;
}
const limited = (seen: number[]) => seen.map((status) => status === 429);

describe('ssoStart', () => {
  it('limits identify and discover per IP', async () => {
    const ip = freshIp();
    const seen = await statuses(4, (n) => (n % 2 ? discover(ip, unique('ip')) : identify(ip, unique('ip'))));
    expect(limited(seen)).toEqual([false, false, false, true]);
  });

  it('limits per email across addresses, the query email of discover included', async () => {
    const email = unique('email');
    const seen = await statuses(4, (n) => (n % 2 ? discover(freshIp(), email) : identify(freshIp(), email)));
    expect(limited(seen)).toEqual([false, false, false, true]);
    // Keyed trimmed and lower-cased, like the other email limits.
    expect((await identify(freshIp(), ` ${email.toUpperCase()} `)).statusCode).toBe(429);
  });

  it('leaves the password sign-in budget alone', async () => {
    const ip = freshIp();
    const email = unique('budget');
    expect(limited(await statuses(3, () => identify(ip, email)))).toEqual([false, false, false]);
    // identify spent 3 of ssoStart; with sign-in's 2 spent too, this would be a 429.
    expect(limited(await statuses(2, () => signIn(ip, email)))).toEqual([false, false]);
    expect((await signIn(ip, email)).statusCode).toBe(429);
  });
});

describe('ssoFinish', () => {
  it('limits the OIDC callback per IP', async () => {
    const ip = freshIp();
    expect(limited(await statuses(3, () => callback(ip)))).toEqual([false, false, true]);
  });

  it('limits the SAML ACS per IP, sharing the budget with the callback', async () => {
    const ip = freshIp();
    expect(limited(await statuses(3, () => acs(ip)))).toEqual([false, false, true]);
    const other = freshIp();
    await callback(other);
    expect(limited(await statuses(2, () => acs(other)))).toEqual([false, true]);
  });
});

describe('form posts', () => {
  it('answer 415 where the contract takes JSON, before any limit is spent', async () => {
    const ip = freshIp();
    for (let attempt = 0; attempt < 4; attempt++) {
      const answer = await app.inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        remoteAddress: ip,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'email=ada%40example.com&password=x',
      });
      expect(answer.statusCode).toBe(415);
      expect(answer.json()).toMatchObject({ success: false, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(answer.headers['ratelimit-remaining']).toBeUndefined();
    }
    // Four form posts later, the sign-in budget (2) of this address is whole.
    expect(limited(await statuses(2, () => signIn(ip, 'ada@example.com')))).toEqual([false, false]);
  });

  it('still reach a route whose contract takes a form (the ACS)', async () => {
    const answer = await acs(freshIp());
    expect(answer.statusCode).not.toBe(415);
    expect(answer.statusCode).not.toBe(429);
  });
});
