import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from '@gatehouse/service-kit/testing';
import * as oauth from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { expectAccessible, launchBrowser, openConsole, screenshot, signInByForm } from '../support/console.js';
import { PASSWORD, signedInUser } from '../support/flows.js';
import { authorizationRequest, clientFor, exchangeCode, type RegisteredApp, registerApp } from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The console's OAuth screens as a person uses them (register an app, change it, rotate its
 * secret, delete it; see and revoke the apps they allowed), checked against what the token
 * endpoint and the API then do. Identity's own sign-in and consent pages are driven in the same
 * browser: they carry the console's stylesheet under their strict CSP (openConsole fails on any
 * violation) and pass axe.
 */
let stack: Stack;
let browser: Browser;
let callbackServer: Server;
let redirectUri: string;

beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' });
  // The third-party app's callback: a real page on loopback.
  callbackServer = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><html lang="en"><title>Acme callback</title><p>Back at Acme</p></html>');
  });
  await new Promise<void>((done) => callbackServer.listen(0, '127.0.0.1', done));
  redirectUri = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => callbackServer?.close(done));
  await stack?.close();
});

const bearer = (token: string) => new ApiClient(stack.urls.gateway, { Authorization: `Bearer ${token}` });

async function confirmInDialog(page: Page, opener: string, confirm: string): Promise<void> {
  await page.getByRole('button', { name: opener, exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: confirm, exact: true }).click();
}

/** The page uses gatehouse.css: it loaded from this origin and its rules apply (the card's border radius). */
async function expectConsoleLook(page: Page): Promise<void> {
  // A stylesheet is in document.styleSheets once it has loaded: on a busy machine that can follow the navigation.
  await page.waitForFunction(() => document.styleSheets.length > 0);
  const sheets = await page.evaluate(() => Array.from(document.styleSheets, (sheet) => sheet.href));
  expect(sheets).toEqual([`${stack.urls.gateway}/styles/gatehouse.css`]);
  const radius = await page.locator('main.card').evaluate((main) => getComputedStyle(main).borderTopLeftRadius);
  expect(radius).toBe('8px');
}

function expectStrictPageCsp(csp: string | undefined): void {
  expect(csp).toContain("style-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
}

describe('OAuth apps in the console', () => {
  it('registers a confidential app whose shown secret works at the token endpoint, rotates it, and deletes the app', async () => {
    const owner = await signedInUser(stack, 'Olive Owner');
    const session = await openConsole(browser, stack);
    const { page } = session;
    await signInByForm(page, owner.email, PASSWORD);
    // The landing screen redirects to the default organization's projects: let it, then click.
    await page.waitForURL((url) => url.pathname.endsWith('/projects'));
    await page.getByRole('link', { name: 'OAuth apps' }).click();
    await page.getByText('You have not registered an app yet.').waitFor();
    await expectAccessible(page, 'the empty OAuth apps screen');

    // A redirect URI the API refuses: its error sits under the textarea and names the URI.
    await page.getByLabel('Name').fill('Nightly Export');
    await page.getByLabel('Type').selectOption('confidential');
    await page.getByLabel('Redirect URIs').fill('https://export.example.com/callback\n\nftp://files.example.com/in');
    await page.getByLabel('projects:read', { exact: true }).check();
    await page.getByRole('button', { name: 'Register app' }).click();
    await page.getByText('ftp://files.example.com/in — ftp: is not allowed').waitFor();
    await expect(page.getByLabel('Redirect URIs').getAttribute('aria-invalid')).resolves.toBe('true');
    await expectAccessible(page, 'the register form with a redirect URI error');
    await screenshot(page, 'oauth-apps-invalid-redirect-1280');
    expect((await owner.client.get('/api/user/oauth-apps')).body.data).toEqual([]);

    await page.getByLabel('Redirect URIs').fill('https://export.example.com/callback');
    await page.getByLabel('openid', { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Register app' }).click();
    const secret = (await page.getByTestId('secret-value').textContent()) ?? '';
    const clientId = (await page.getByTestId('client-id').textContent()) ?? '';
    expect(secret).toMatch(/^gcs_/);
    const storage = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }]));
    expect(storage).not.toContain(secret);
    await page.getByRole('cell', { name: 'Nightly Export' }).waitFor();
    await expectAccessible(page, 'the OAuth apps screen showing a new secret');
    await screenshot(page, 'oauth-apps-created-1280');

    const listed = (await owner.client.get('/api/user/oauth-apps')).body.data;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id: clientId,
      name: 'Nightly Export',
      type: 'confidential',
      redirectUris: ['https://export.example.com/callback'],
    });
    expect([...listed[0].allowedScopes].sort()).toEqual(['projects:read', 'user:read']);

    // The secret the screen showed authenticates the app.
    const app: RegisteredApp = {
      id: clientId,
      clientSecret: secret,
      redirectUri: 'https://export.example.com/callback',
    };
    const original = await clientFor(stack, app);
    const token = await oauth.clientCredentialsGrant(original, { scope: 'user:read projects:read' });
    expect((await bearer(token.access_token).get('/api/user/me')).status).toBe(200);

    await page.getByRole('link', { name: 'Open Nightly Export' }).click();
    await page.getByRole('heading', { level: 1, name: 'Nightly Export' }).waitFor();
    await expect(page.getByTestId('client-id').textContent()).resolves.toBe(clientId);
    // The secret was shown once: this screen has only its first characters.
    await expect(page.getByTestId('secret-value').count()).resolves.toBe(0);
    await expect(page.locator('main').textContent()).resolves.not.toContain(secret);
    await expectAccessible(page, 'an OAuth app screen');
    await screenshot(page, 'oauth-app-1280');

    // An edit the API refuses changes nothing; then a good one is saved.
    await page.getByLabel('Redirect URIs').fill('http://export.example.com/callback');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('http://export.example.com/callback — must use https (http only for loopback)').waitFor();
    expect((await owner.client.get(`/api/user/oauth-apps/${clientId}`)).body.data.redirectUris).toEqual([
      'https://export.example.com/callback',
    ]);
    await page.getByLabel('Name').fill('Nightly Export v2');
    await page.getByLabel('Redirect URIs').fill('https://export.example.com/callback\nhttp://127.0.0.1:8080/cb');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved. The new settings apply at once.').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Nightly Export v2' }).waitFor();
    expect((await owner.client.get(`/api/user/oauth-apps/${clientId}`)).body.data).toMatchObject({
      name: 'Nightly Export v2',
      redirectUris: ['https://export.example.com/callback', 'http://127.0.0.1:8080/cb'],
    });

    // Token times have one-second resolution: let the clock pass the old token's second first.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await confirmInDialog(page, 'Rotate secret of Nightly Export v2', 'Rotate secret');
    await page.getByRole('region', { name: 'New client secret of Nightly Export v2' }).waitFor();
    const rotated = (await page.getByTestId('secret-value').textContent()) ?? '';
    expect(rotated).toMatch(/^gcs_/);
    expect(rotated).not.toBe(secret);
    await expectAccessible(page, 'an OAuth app screen showing a rotated secret');
    await expect(oauth.clientCredentialsGrant(original, { scope: 'user:read' })).rejects.toMatchObject({
      status: 401,
    });
    await eventually(async () => {
      expect((await bearer(token.access_token).get('/api/user/me')).status).toBe(401);
    }, 3000);
    const fresh = await clientFor(stack, { ...app, clientSecret: rotated });
    await expect(oauth.clientCredentialsGrant(fresh, { scope: 'user:read' })).resolves.toMatchObject({
      token_type: expect.stringMatching(/bearer/i),
    });

    await confirmInDialog(page, 'Delete app Nightly Export v2', 'Delete app');
    await page.waitForURL((url) => url.pathname === '/account/oauth-apps');
    await page.getByText('Deleted Nightly Export v2.').waitFor();
    await page.getByText('You have not registered an app yet.').waitFor();
    // Back on the list, the secrets shown earlier are gone.
    await expect(page.getByTestId('secret-value').count()).resolves.toBe(0);
    expect((await owner.client.get(`/api/user/oauth-apps/${clientId}`)).status).toBe(404);
    await expect(oauth.clientCredentialsGrant(fresh, { scope: 'user:read' })).rejects.toMatchObject({ status: 401 });
    await session.close();
  }, 120_000);

  it('grants an app through identity’s restyled pages, lists it under Authorized apps, and revokes it', async () => {
    const developer = await signedInUser(stack, 'Dora Developer');
    const app = await registerApp(developer.client, { name: 'Acme Calendar', redirectUri });
    const user = await signedInUser(stack, 'Gail Granter');
    const config = await clientFor(stack, app);
    // prompt=consent: oidc-provider issues a refresh token (offline_access) only after an explicit consent.
    const attempt = await authorizationRequest(config, app, 'openid profile offline_access user:read', {
      prompt: 'consent',
    });
    const session = await openConsole(browser, stack);
    const { page } = session;

    const signInPage = await page.goto(attempt.url.toString());
    await page.getByRole('heading', { name: 'Sign in to continue to Acme Calendar' }).waitFor();
    expectStrictPageCsp(signInPage?.headers()['content-security-policy']);
    await expectConsoleLook(page);
    await expectAccessible(page, 'the OAuth sign-in page');
    await screenshot(page, 'oauth-page-sign-in-1280');

    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Invalid email or password').waitFor();
    await expectConsoleLook(page);
    await expectAccessible(page, 'the OAuth sign-in page with an error');
    await screenshot(page, 'oauth-page-sign-in-error-1280');

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await expect(page.locator('main').textContent()).resolves.toContain(
      'Acme Calendar wants to access your Gatehouse account',
    );
    await expectConsoleLook(page);
    await expectAccessible(page, 'the OAuth consent page');
    await screenshot(page, 'oauth-page-consent-1280');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.toString().startsWith(redirectUri));
    const tokens = await exchangeCode(config, attempt, new URL(page.url()));
    expect(tokens.refresh_token).toEqual(expect.any(String));

    // Signing in for the app signed the browser in to Gatehouse: the console opens straight away.
    await page.goto('/account/authorized-apps');
    await page.getByRole('cell', { name: 'Acme Calendar', exact: true }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Acme Calendar' });
    await expect(row.textContent()).resolves.toContain('offline_access');
    await expectAccessible(page, 'the authorized apps screen');
    await screenshot(page, 'oauth-authorized-apps-1280');

    await confirmInDialog(page, 'Revoke access for Acme Calendar', 'Revoke access');
    await page.getByText('Revoked the access of Acme Calendar.').waitFor();
    await page.getByText('You have not allowed any app to access your account.').waitFor();
    await expectAccessible(page, 'the empty authorized apps screen');
    expect((await user.client.get('/api/user/oauth-grants')).body.data).toEqual([]);
    await expect(oauth.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await eventually(async () => {
      expect((await bearer(tokens.access_token).get('/api/user/me')).status).toBe(401);
    }, 3000);

    // The authorization server's other pages share the look: an error, sign-out, signed out.
    const errorPage = await page.goto('/oauth2/auth?client_id=no-such-app&response_type=code&scope=openid');
    await page.getByRole('heading', { name: 'Something went wrong' }).waitFor();
    expectStrictPageCsp(errorPage?.headers()['content-security-policy']);
    await expectConsoleLook(page);
    await expectAccessible(page, 'the OAuth error page');
    await screenshot(page, 'oauth-page-error-1280');
    const signOutPage = await page.goto(`/oauth2/session/end?client_id=${app.id}`);
    await page.getByRole('heading', { name: 'Sign out of Gatehouse?' }).waitFor();
    expectStrictPageCsp(signOutPage?.headers()['content-security-policy']);
    await expectConsoleLook(page);
    await expectAccessible(page, 'the OAuth sign-out page');
    await screenshot(page, 'oauth-page-sign-out-1280');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await expectConsoleLook(page);
    await expectAccessible(page, 'the OAuth signed-out page');
    await session.close();
  }, 120_000);

  it('keeps identity’s sign-in page plain and usable when the stylesheet does not load', async () => {
    const user = await signedInUser(stack, 'Una Unstyled');
    const app = await registerApp(user.client, { name: 'Bare Bones', redirectUri });
    const attempt = await authorizationRequest(await clientFor(stack, app), app, 'user:read');
    // A bare context: the refused stylesheet is this test's point, not a problem to report.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.route('**/styles/gatehouse.css', (route) => route.abort());
    await page.goto(attempt.url.toString());
    await page.getByRole('heading', { name: 'Sign in to continue to Bare Bones' }).waitFor();
    // The logo keeps its own size instead of filling the screen.
    await expect(page.locator('.brand svg').boundingBox()).resolves.toMatchObject({ width: 28, height: 28 });
    await expectAccessible(page, 'the OAuth sign-in page without its stylesheet');
    await screenshot(page, 'oauth-page-sign-in-unstyled-390');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.toString().startsWith(redirectUri));
    await context.close();
  });

  it('works on a phone in the dark: the OAuth pages, then the app and grant screens', async () => {
    const user = await signedInUser(stack, 'Nora Night');
    const app = await registerApp(user.client, { name: 'Pocket Planner', redirectUri });
    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, 'openid user:read projects:read');
    const session = await openConsole(browser, stack, { colorScheme: 'dark', width: 390, height: 844 });
    const { page } = session;

    await page.goto(attempt.url.toString());
    await page.getByRole('heading', { name: 'Sign in to continue to Pocket Planner' }).waitFor();
    await expectConsoleLook(page);
    await expectAccessible(page, 'the OAuth sign-in page in dark');
    await screenshot(page, 'oauth-page-sign-in-390-dark');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await expectAccessible(page, 'the OAuth consent page in dark');
    await screenshot(page, 'oauth-page-consent-390-dark');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.toString().startsWith(redirectUri));

    await page.goto('/account/oauth-apps');
    await page.getByRole('link', { name: 'Pocket Planner' }).waitFor();
    await expectAccessible(page, 'the OAuth apps screen in dark');
    await screenshot(page, 'oauth-apps-390-dark');
    await page.getByRole('link', { name: 'Pocket Planner' }).click();
    await page.getByRole('heading', { level: 1, name: 'Pocket Planner' }).waitFor();
    // A public app has no secret to rotate.
    await expect(page.getByRole('button', { name: /Rotate/ }).count()).resolves.toBe(0);
    await expectAccessible(page, 'an OAuth app screen in dark');
    await screenshot(page, 'oauth-app-390-dark');
    await page.goto('/account/authorized-apps');
    await page.getByRole('cell', { name: 'Pocket Planner', exact: true }).waitFor();
    await expectAccessible(page, 'the authorized apps screen in dark');
    await screenshot(page, 'oauth-authorized-apps-390-dark');
    await session.close();
  }, 120_000);
});
