import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { expectAccessible, launchBrowser, screenshot } from '../support/console.js';
import { PASSWORD, signedInUser } from '../support/flows.js';
import { GENEROUS_LIMITS, type TotpUser, userWithTotp } from '../support/mfa.js';
import {
  type AuthorizationAttempt,
  authorizationRequest,
  clientFor,
  decodeJwt,
  exchangeCode,
  FormBrowser,
  formAction,
  type RegisteredApp,
  registerApp,
} from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';
import { totpCode, totpCodeAt } from '../support/totp.js';
import { addVirtualAuthenticator, createCredential } from '../support/webauthn.js';

/**
 * The OAuth login page meets the second factor: after the password, an account with an authenticator
 * app, recovery codes or a passkey gets a server-rendered second-factor page bound to its interaction
 * (POST /oauth2/interaction/:uid/mfa), and only its completion signs the browser in and lets the
 * authorization go on; the ID token's `amr` says how. Driven without JavaScript by FormBrowser, and in
 * Chromium (with its virtual authenticator) for the passkey button. The stack's public host is
 * `localhost`, which WebAuthn needs.
 */

let stack: Stack;
let owner: Awaited<ReturnType<typeof signedInUser>>;
let app: RegisteredApp;
let callbackServer: Server;

beforeAll(async () => {
  stack = await startStack({ ...GENEROUS_LIMITS, RATE_LIMIT_IP_MAX: '5000' }, {}, { publicHost: 'localhost' });
  // The app's callback: a real page on loopback, for the browser case to land on.
  callbackServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>Back</title>');
  });
  await new Promise<void>((done) => callbackServer.listen(0, '127.0.0.1', done));
  owner = await signedInUser(stack, 'Olive Owner');
  app = await registerApp(owner.client, {
    name: 'Acme Reports',
    redirectUri: `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`,
  });
}, 60_000);
afterAll(async () => {
  await new Promise((done) => callbackServer?.close(done));
  await stack?.close();
});

/** The code of the step after the confirming one: accepted (±1 step), and not yet spent. */
const freshCode = (user: TotpUser) => totpCodeAt(user.secret, 1);

/** A six-digit code no step near now has, so it is wrong whatever the clock. */
function wrongCode(user: TotpUser): string {
  const near = new Set([-2, -1, 0, 1, 2].map((steps) => totpCodeAt(user.secret, steps)));
  return ['000000', '111111', '222222'].find((code) => !near.has(code)) as string;
}

interface Page {
  status: number;
  headers: Headers;
  location: string | null;
  text: string;
  url: string;
}

/** Opens the authorization and signs in on the login page; answers the page that follows. */
async function signInOnLoginPage(browser: FormBrowser, attempt: AuthorizationAttempt, email: string): Promise<Page> {
  const login = await browser.follow(attempt.url.toString(), app.redirectUri);
  expect(login.text).toContain('autocomplete="current-password"');
  const action = formAction(login.text, '/login', login.url);
  const answer = await browser.fetch(action, { method: 'POST', form: { email, password: PASSWORD } });
  return { ...answer, url: action };
}

function challengeIdOf(html: string): string {
  const id = html.match(/name="challengeId" value="([^"]+)"/)?.[1];
  if (!id) throw new Error('no challenge on the page');
  return id;
}

/** Posts one form of the second-factor page; follows where it leads (the consent page, or the app). */
async function answerMfaPage(browser: FormBrowser, page: Page, form: Record<string, string>) {
  const action = formAction(page.text, '/mfa', page.url);
  const answer = await browser.fetch(action, { method: 'POST', form });
  return { ...answer, url: action };
}

/** From a redirect after the second factor: allow on the consent page, land on the app, exchange the code. */
async function consentAndExchange(browser: FormBrowser, attempt: AuthorizationAttempt, location: string) {
  let step = await browser.follow(location, app.redirectUri);
  if (!step.reachedApp) {
    expect(step.text).toContain('wants to access your Gatehouse account');
    step = await browser.follow(formAction(step.text, '/confirm', step.url), app.redirectUri, {
      method: 'POST',
      form: {},
    });
  }
  expect(step.reachedApp, step.text.slice(0, 300)).toBe(true);
  const config = await clientFor(stack, app);
  return exchangeCode(config, attempt, new URL(step.url));
}

function sessionCookieOf(headers: Headers): string | undefined {
  return headers
    .getSetCookie()
    .find((cookie) => cookie.startsWith('gatehouse_session='))
    ?.split(';')[0]
    ?.slice('gatehouse_session='.length);
}

function expectSecondFactorPage(page: Page, attemptsLeft: number): void {
  expect(page.text).toContain('<title>Two-step verification · Gatehouse</title>');
  expect(page.text).toContain(`${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left`);
  expect(sessionCookieOf(page.headers)).toBeUndefined();
}

function expectLoginPageAgain(page: Page): void {
  expect(page.text).toContain('autocomplete="current-password"');
  expect(page.text).toContain('role="alert"');
  expect(sessionCookieOf(page.headers)).toBeUndefined();
}

async function newAttempt(extra: Record<string, string> = {}): Promise<AuthorizationAttempt> {
  return authorizationRequest(await clientFor(stack, app), app, 'openid user:read', extra);
}

describe('the OAuth login page with a second factor', () => {
  it('asks for the code after the password, then consent; the ID token says otp and mfa', async () => {
    const user = await userWithTotp(stack, 'Tara Totp');
    const browser = new FormBrowser();
    const attempt = await newAttempt();
    const page = await signInOnLoginPage(browser, attempt, user.email);
    expect(page.status).toBe(200);
    expectSecondFactorPage(page, 5);
    // The authenticator-code form as browsers and password managers expect it, and the recovery form.
    expect(page.text).toContain('inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"');
    expect(page.text).toContain('name="type" value="totp"');
    expect(page.text).toContain('name="type" value="recovery_code"');
    // No passkey: no button and no script.
    expect(page.text).not.toContain('passkey-choice');
    expect(page.text).not.toMatch(/<script/i);

    const answered = await answerMfaPage(browser, page, {
      challengeId: challengeIdOf(page.text),
      type: 'totp',
      code: freshCode(user),
    });
    expect(answered.status).toBe(303);
    // The browser is signed in to Gatehouse only now, with a session that proved the second factor.
    const session = sessionCookieOf(answered.headers);
    expect(session).toBeDefined();
    const me = await new ApiClient(stack.urls.gateway, { cookie: `gatehouse_session=${session}` }).get('/api/user/me');
    expect(me.body.data.id).toBe(user.userId);

    const tokens = await consentAndExchange(browser, attempt, answered.location as string);
    const idToken = decodeJwt(tokens.id_token as string).payload;
    expect(idToken.sub).toBe(user.userId);
    expect(idToken.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it('shows the page again with the attempts left after a wrong code, then takes the right one', async () => {
    const user = await userWithTotp(stack, 'Walt Wrong');
    const browser = new FormBrowser();
    const attempt = await newAttempt();
    let page = await signInOnLoginPage(browser, attempt, user.email);
    const challengeId = challengeIdOf(page.text);
    for (const attemptsLeft of [4, 3]) {
      page = await answerMfaPage(browser, page, { challengeId, type: 'totp', code: wrongCode(user) });
      expect(page.status).toBe(401);
      expectSecondFactorPage(page, attemptsLeft);
      expect(page.text).toContain('role="alert"');
      // The same challenge: the page is bound to it, not a new one per mistake.
      expect(challengeIdOf(page.text)).toBe(challengeId);
    }
    // A malformed answer is told so and costs no attempt.
    for (const code of ['12345', 'abcdef', '1234567', '']) {
      const malformed = await answerMfaPage(browser, page, { challengeId, type: 'totp', code });
      expect(malformed.status, code).toBe(400);
      expectSecondFactorPage(malformed, 3);
    }
    const answered = await answerMfaPage(browser, page, { challengeId, type: 'totp', code: freshCode(user) });
    expect(answered.status).toBe(303);
    const tokens = await consentAndExchange(browser, attempt, answered.location as string);
    expect(decodeJwt(tokens.id_token as string).payload.amr).toEqual(expect.arrayContaining(['otp', 'mfa']));
  });

  it('after the fifth wrong answer the challenge is over: the right code then meets the login page', async () => {
    const user = await userWithTotp(stack, 'Fifi Five');
    const browser = new FormBrowser();
    const attempt = await newAttempt();
    let page = await signInOnLoginPage(browser, attempt, user.email);
    const challengeId = challengeIdOf(page.text);
    for (let wrong = 1; wrong <= 4; wrong += 1) {
      page = await answerMfaPage(browser, page, { challengeId, type: 'totp', code: wrongCode(user) });
      expectSecondFactorPage(page, 5 - wrong);
    }
    const fifth = await answerMfaPage(browser, page, { challengeId, type: 'totp', code: wrongCode(user) });
    expectLoginPageAgain(fifth);
    const late = await answerMfaPage(browser, page, { challengeId, type: 'totp', code: freshCode(user) });
    expectLoginPageAgain(late);
    // Signing in again opens a fresh challenge, which the right code completes.
    const again = await browser.fetch(formAction(late.text, '/login', late.url), {
      method: 'POST',
      form: { email: user.email, password: PASSWORD },
    });
    const fresh = { ...again, url: formAction(late.text, '/login', late.url) };
    expectSecondFactorPage(fresh, 5);
    expect(challengeIdOf(fresh.text)).not.toBe(challengeId);
    const answered = await answerMfaPage(browser, fresh, {
      challengeId: challengeIdOf(fresh.text),
      type: 'totp',
      code: freshCode(user),
    });
    expect(answered.status).toBe(303);
  });

  it('takes a recovery code instead, once', async () => {
    const user = await userWithTotp(stack, 'Rory Recovery');
    const [code] = user.recoveryCodes;
    for (const outcome of ['accepted', 'spent'] as const) {
      const browser = new FormBrowser();
      const attempt = await newAttempt();
      const page = await signInOnLoginPage(browser, attempt, user.email);
      // Typed the way people type them: lower case, spaces for hyphens.
      const typed = (code as string).toLowerCase().replace(/-/g, ' ');
      const answered = await answerMfaPage(browser, page, {
        challengeId: challengeIdOf(page.text),
        type: 'recovery_code',
        code: typed,
      });
      if (outcome === 'accepted') {
        expect(answered.status).toBe(303);
        const tokens = await consentAndExchange(browser, attempt, answered.location as string);
        expect(decodeJwt(tokens.id_token as string).payload.amr).toEqual(expect.arrayContaining(['pwd', 'mfa']));
      } else {
        expect(answered.status).toBe(401);
        expectSecondFactorPage(answered, 4);
      }
    }
  });

  it('refuses a challenge opened by the JSON sign-in or by another interaction', async () => {
    const user = await userWithTotp(stack, 'Ida Interaction');
    // One from the JSON API (not bound to any interaction).
    const json = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: user.email,
      password: PASSWORD,
    });
    expect(json.body.data.mfaRequired).toBe(true);
    // One from another browser's authorization.
    const other = await signInOnLoginPage(new FormBrowser(), await newAttempt(), user.email);
    const foreign = [json.body.data.challengeId as string, challengeIdOf(other.text)];

    const browser = new FormBrowser();
    const attempt = await newAttempt();
    const page = await signInOnLoginPage(browser, attempt, user.email);
    for (const challengeId of foreign) {
      const refused = await answerMfaPage(browser, page, { challengeId, type: 'totp', code: freshCode(user) });
      expectLoginPageAgain(refused);
    }
    // And a made-up one of the right shape.
    const madeUp = `${'A'.repeat(16)}.${'b'.repeat(43)}`;
    expectLoginPageAgain(await answerMfaPage(browser, page, { challengeId: madeUp, type: 'totp', code: '123456' }));
    // This page's own challenge still works (with a recovery code: the app's code may be spent by now).
    const answered = await answerMfaPage(browser, page, {
      challengeId: challengeIdOf(page.text),
      type: 'recovery_code',
      code: user.recoveryCodes[1] as string,
    });
    expect(answered.status).toBe(303);
  });

  it('serves the page with a Content-Security-Policy that runs no script, and no inline script or style', async () => {
    const user = await userWithTotp(stack, 'Cora Csp');
    const page = await signInOnLoginPage(new FormBrowser(), await newAttempt(), user.email);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.text).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
  });

  it('leaves an account without factors as it was: no second step, amr pwd', async () => {
    const plain = await signedInUser(stack, 'Pia Plain');
    const browser = new FormBrowser();
    const attempt = await newAttempt();
    const answered = await signInOnLoginPage(browser, attempt, plain.email);
    expect(answered.status).toBe(303);
    expect(sessionCookieOf(answered.headers)).toBeDefined();
    const tokens = await consentAndExchange(browser, attempt, answered.location as string);
    expect(decodeJwt(tokens.id_token as string).payload.amr).toEqual(['pwd']);
  });
});

describe('a browser already signed in to Gatehouse', () => {
  it('skips the login form only when its session proved the second factor', async () => {
    const user = await userWithTotp(stack, 'Sami Skip');
    const enrollingSession = user.client.cookieHeader().match(/gatehouse_session=([^;]+)/)?.[1] as string;

    // The session that enrolled proved the factor by confirming it: it skips the form.
    const signedIn = new FormBrowser({ gatehouse_session: enrollingSession });
    const attempt = await newAttempt();
    const first = await signedIn.follow(attempt.url.toString(), app.redirectUri);
    expect(first.text).not.toContain('autocomplete="current-password"');
    const tokens = await consentAndExchange(signedIn, attempt, first.url);
    expect(decodeJwt(tokens.id_token as string).payload.sub).toBe(user.userId);

    // A session from before the factor (a second device signed in with the password only) meets the form.
    const before = await signedInUser(stack, 'Bea Before');
    const enrolled = await before.client.post('/api/user/mfa/totp/enroll', {});
    const other = new ApiClient(stack.urls.gateway);
    expect((await other.post('/api/auth/sign-in/email', { email: before.email, password: PASSWORD })).status).toBe(200);
    const confirmed = await before.client.post('/api/user/mfa/totp/confirm', {
      code: totpCode(enrolled.body.data.secret),
    });
    expect(confirmed.status).toBe(200);
    const otherSession = other.cookieHeader().match(/gatehouse_session=([^;]+)/)?.[1] as string;
    const stale = new FormBrowser({ gatehouse_session: otherSession });
    const shown = await stale.follow((await newAttempt()).url.toString(), app.redirectUri);
    expect(shown.text).toContain('autocomplete="current-password"');
  });
});

describe('the passkey button in a real browser', () => {
  let chromium: Browser;
  beforeAll(async () => {
    chromium = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
  });

  it('signs in with a passkey on the second-factor page; the page loads only its own script', async () => {
    const user = await signedInUser(stack, 'Kit Passkey');
    const context = await chromium.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    // The virtual authenticator lives on the public origin (WebAuthn's relying party is its host).
    await page.goto(`${stack.urls.gateway}/styles/gatehouse.css`);
    const authenticator = await addVirtualAuthenticator(page);
    const options = await user.client.post('/api/user/mfa/passkeys/register/options', {});
    expect(options.status, JSON.stringify(options.body)).toBe(200);
    const credential = await createCredential(page, options.body.data.options);
    const registered = await user.client.post('/api/user/mfa/passkeys/register/verify', {
      ceremonyId: options.body.data.ceremonyId,
      credential,
      name: 'Test key',
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);

    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, 'openid user:read');
    await page.goto(attempt.url.toString());
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    const mfaAnswer = page.waitForResponse((response) => response.url().endsWith('/login'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const shown = await mfaAnswer;
    // Only this page may run a script, and only one of this origin.
    expect(shown.headers()['content-security-policy']).toContain("script-src 'self'");
    const html = await shown.text();
    expect(html).toContain('<script src="/scripts/oauth-passkey.js" defer></script>');
    expect(html).not.toMatch(/<script>|\sstyle=|\son[a-z]+=/i);

    const button = page.getByRole('button', { name: 'Use a passkey' });
    await button.waitFor({ state: 'visible' });
    await expect(page.title()).resolves.toBe('Two-step verification · Gatehouse');
    await expectAccessible(page, 'the second-factor page');
    await screenshot(page, 'oauth-second-factor');
    await button.click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.toString().startsWith(app.redirectUri));
    const tokens = await exchangeCode(config, attempt, new URL(page.url()));
    const amr = decodeJwt(tokens.id_token as string).payload.amr as string[];
    expect(amr).toEqual(expect.arrayContaining(['pwd', 'mfa']));
    expect(amr.some((method) => method === 'hwk' || method === 'swk')).toBe(true);
    expect(violations).toEqual([]);
    await authenticator.remove();
    await context.close();
  });
});
