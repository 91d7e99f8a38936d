import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { launchBrowser } from '../support/console.js';
import { PASSWORD, signedInUser } from '../support/flows.js';
import { authorizationRequest, clientFor, exchangeCode, type RegisteredApp, registerApp } from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let browser: Browser;
let callbackServer: Server;
let redirectUri: string;
let user: Awaited<ReturnType<typeof signedInUser>>;
let app: RegisteredApp;

beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' });
  // The third-party app's callback: a real page on loopback, as a native or local app would have.
  callbackServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>Acme callback</title><p>Back at Acme</p>');
  });
  await new Promise<void>((done) => callbackServer.listen(0, '127.0.0.1', done));
  redirectUri = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
  user = await signedInUser(stack, 'Grace Browser');
  app = await registerApp(user.client, { name: 'Acme Calendar', redirectUri });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => callbackServer?.close(done));
  await stack?.close();
});

/** What the user does on the login page: type email and password, press Sign in. */
async function signInOnPage(page: Page): Promise<void> {
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('OAuth 2.1 in a real browser', () => {
  it('signs in on the login page, shows the consent page, and returns a code the app exchanges', async () => {
    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, 'openid profile user:read projects:read');
    const context = await browser.newContext();
    const page = await context.newPage();
    const blocked: string[] = [];
    // No external assets: every request the pages make stays on the gateway or goes to the app.
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== stack.urls.gateway && !request.url().startsWith(redirectUri)) blocked.push(request.url());
    });

    await page.goto(attempt.url.toString());
    await expect(page.title()).resolves.toBe('Sign in · Gatehouse');
    // Usable with a keyboard and a screen reader: a language, labelled fields in tab order.
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(page.locator(':focus').getAttribute('id')).resolves.toBe('email');
    await page.keyboard.press('Tab');
    await expect(page.locator(':focus').getAttribute('id')).resolves.toBe('password');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Acme Calendar');
    await signInOnPage(page);

    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await expect(page.title()).resolves.toBe('Allow access · Gatehouse');
    const consent = (await page.locator('main').textContent()) ?? '';
    expect(consent).toContain('Acme Calendar wants to access your Gatehouse account');
    expect(consent).toContain(`Signed in as ${user.email}`);
    expect(consent).toContain('Read projects in your organizations');
    expect(consent).toContain('See your name and handle');
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL((url) => url.toString().startsWith(redirectUri));
    const callback = new URL(page.url());
    expect(callback.searchParams.get('state')).toBe(attempt.state);
    expect(blocked).toEqual([]);
    // The login also signed the browser in to Gatehouse itself.
    const cookies = await context.cookies(stack.urls.gateway);
    expect(cookies.find((cookie) => cookie.name === 'gatehouse_session')).toMatchObject({ httpOnly: true });
    await context.close();

    const tokens = await exchangeCode(config, attempt, callback);
    const me = await new ApiClient(stack.urls.gateway, { Authorization: `Bearer ${tokens.access_token}` }).get(
      '/api/user/me',
    );
    expect(me.status).toBe(200);
    expect(me.body.data.email).toBe(user.email);
  });

  it('lets the user deny, and the app learns access_denied', async () => {
    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, 'user:read');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(attempt.url.toString());
    await signInOnPage(page);
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL((url) => url.toString().startsWith(redirectUri));
    const callback = new URL(page.url());
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('code')).toBeNull();
    await context.close();
  });

  it('signs out at the authorization server, and a browser without a session passes through its auto-submitted form', async () => {
    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, 'openid user:read');
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(attempt.url.toString());
    await signInOnPage(page);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.toString().startsWith(redirectUri));

    await page.goto(`${stack.urls.gateway}/oauth2/session/end?client_id=${app.id}`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    const cookies = await context.cookies(stack.urls.gateway);
    expect(cookies.find((cookie) => cookie.name === 'gatehouse_session')).toBeUndefined();

    // No session any more: oidc-provider answers with a self-submitting form (its inline script
    // allowed by hash in the page's CSP), which must still reach the signed-out page.
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${stack.urls.gateway}/oauth2/session/end`);
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    expect(violations).toEqual([]);
    await context.close();
  });
});
