import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchBrowser, openConsole, screenshot, signInByForm } from '../support/console.js';
import { createKey, mailedToken, PASSWORD, verifiedUser } from '../support/flows.js';
import { registerApp } from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Every screen of the console, with data on it, in light and dark at 1280 and 390 px: axe-core
 * finds no serious or critical violation, and a screenshot of each lands in .data/screenshots/
 * (screen-<name>-<scheme>-<width>.png) for a person to look at. The list must name every route of
 * web/src/routes.tsx: a new screen without a visit here fails the first test.
 */
let stack: Stack;
let browser: Browser;
let owner: Awaited<ReturnType<typeof verifiedUser>>;
const screens: Array<{ name: string; path: () => string; route: string; signedIn: boolean }> = [];

const ROUTES_FILE = new URL('../../services/console/web/src/routes.tsx', import.meta.url);

function screen(name: string, route: string, path: () => string, signedIn = true) {
  screens.push({ name, route, path, signedIn });
}

screen('sign-in', '/sign-in', () => '/sign-in', false);
screen('sign-up', '/sign-up', () => '/sign-up', false);
// Without a challenge or a live token: the pages' own dead ends (console-mfa.test.ts has them working).
screen('sign-in-mfa', '/sign-in/mfa', () => '/sign-in/mfa', false);
screen('magic-link', '/magic-link', () => '/magic-link?token=not-a-real-token', false);
screen('verify-email', '/verify-email', () => '/verify-email?token=not-a-real-token', false);
screen('forgot-password', '/forgot-password', () => '/forgot-password', false);
screen('reset-password', '/reset-password', () => '/reset-password?token=not-a-real-token', false);
screen('accept-invite', '/accept-invite', () => '/accept-invite?token=not-a-real-token', false);
screen('profile', '/account', () => '/account');
screen('security', '/account/security', () => '/account/security');
screen('api-keys', '/account/api-keys', () => '/account/api-keys');
screen('oauth-apps', '/account/oauth-apps', () => '/account/oauth-apps');
screen('oauth-app', '/account/oauth-apps/:appId', () => `/account/oauth-apps/${fixtures.appId}`);
screen('authorized-apps', '/account/authorized-apps', () => '/account/authorized-apps');
screen('new-organization', '/orgs/new', () => '/orgs/new');
screen('projects', '/orgs/:organizationId/projects', () => `/orgs/${owner.organizationId}/projects`);
screen(
  'project',
  '/orgs/:organizationId/projects/:projectId',
  () => `/orgs/${owner.organizationId}/projects/${fixtures.projectId}`,
);
screen('members', '/orgs/:organizationId/members', () => `/orgs/${owner.organizationId}/members`);
screen('settings', '/orgs/:organizationId/settings', () => `/orgs/${owner.organizationId}/settings`);
screen('sso', '/orgs/:organizationId/sso', () => `/orgs/${owner.organizationId}/sso`);
screen('activity', '/account/activity', () => '/account/activity');
screen('audit-log', '/orgs/:organizationId/audit-log', () => `/orgs/${owner.organizationId}/audit-log`);
screen('webhooks', '/orgs/:organizationId/webhooks', () => `/orgs/${owner.organizationId}/webhooks`);
screen(
  'webhook',
  '/orgs/:organizationId/webhooks/:webhookId',
  () => `/orgs/${owner.organizationId}/webhooks/${fixtures.webhookId}`,
);
screen('billing', '/orgs/:organizationId/billing', () => `/orgs/${owner.organizationId}/billing`);
screen('not-found', '*', () => '/no-such-screen');

const fixtures = { appId: '', projectId: '', webhookId: '' };

beforeAll(async () => {
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' },
    {},
    { audit: true, billing: true },
  );
  browser = await launchBrowser();
  owner = await verifiedUser(stack, 'Olivia Owner');
  const base = `/api/user/organizations/${owner.organizationId}`;
  fixtures.webhookId = (
    await owner.client.post(`${base}/webhooks`, { url: 'https://hooks.example.com/gatehouse', events: ['*'] })
  ).body.data.webhook.id;
  for (const [name, status] of [
    ['Apollo', 'active'],
    ['Borealis', 'draft'],
    ['Cassini', 'paused'],
  ] as const) {
    const created = await owner.client.post(`${base}/projects`, { name, description: `${name} mission`, status });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    fixtures.projectId ||= created.body.data.id;
  }
  const member = await verifiedUser(stack, 'Max Member');
  expect((await owner.client.post(`${base}/invites`, { email: member.email, role: 'member' })).status).toBe(201);
  const token = await mailedToken(stack, member.email, '/accept-invite?token=');
  expect((await member.client.post(`/api/user/invites/${token}/accept`)).status).toBe(200);
  expect((await owner.client.post(`${base}/invites`, { email: 'pending@example.com', role: 'admin' })).status).toBe(
    201,
  );
  await createKey(owner.client, {
    name: 'CI deploy bot',
    expiresIn: 2_592_000,
    scopes: ['user:read', 'projects:read'],
  });
  fixtures.appId = (await registerApp(owner.client, { name: 'Acme Reports', type: 'confidential' })).id;
  expect((await owner.client.post(`${base}/domains`, { domain: 'acme-console.example.test' })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('every console screen', () => {
  it('is visited by this suite (the list matches the route table)', () => {
    const declared = [...readFileSync(ROUTES_FILE, 'utf8').matchAll(/path: '([^']+)'/g)].map((match) => match[1]);
    // `/` only redirects (to the default organization's projects); the SSO connection screen needs
    // an IdP to create a connection, which console-sso.test.ts has.
    const elsewhere = ['/', '/orgs/:organizationId/sso/:connectionId'];
    expect(declared.filter((path) => !elsewhere.includes(path ?? '')).sort()).toEqual(
      screens.map((s) => s.route).sort(),
    );
  });

  for (const [scheme, width] of [
    ['light', 1280],
    ['dark', 390],
    ['dark', 1280],
    ['light', 390],
  ] as const) {
    it(`passes axe and is photographed, ${scheme} at ${width} px`, async () => {
      const session = await openConsole(browser, stack, { colorScheme: scheme, width });
      const { page } = session;
      await signInByForm(page, owner.email, PASSWORD);
      for (const { name, path } of screens.filter((s) => s.signedIn)) {
        await page.goto(path());
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        await expectAccessible(page, `${name} (${scheme}, ${width} px)`);
        await screenshot(page, `screen-${name}-${scheme}-${width}`);
      }
      if (scheme === 'light' && width === 1280) {
        // The picture on the README: a screen with its "Use the API" panel open.
        await page.goto(`/orgs/${owner.organizationId}/projects`);
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        await page.getByText('Use the API').click();
        await screenshot(page, 'console-projects-with-api-panel');
      }
      await session.close();
      const signedOut = await openConsole(browser, stack, { colorScheme: scheme, width });
      for (const { name, path } of screens.filter((s) => !s.signedIn)) {
        await signedOut.page.goto(path());
        await signedOut.page.locator('main h1').first().waitFor();
        await signedOut.page.waitForLoadState('networkidle');
        await expectAccessible(signedOut.page, `${name} (${scheme}, ${width} px)`);
        await screenshot(signedOut.page, `screen-${name}-${scheme}-${width}`);
      }
      await signedOut.close();
    }, 120_000);
  }
});
