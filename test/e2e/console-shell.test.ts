import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchBrowser, openConsole, signInByForm } from '../support/console.js';
import { PASSWORD, signedInUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * What every screen shares: the session guard (a signed-out visitor is sent to sign-in and back),
 * the "Use the API" panel (the calls the screen made, as curl, secrets blanked), the strict CSP
 * holding (openConsole fails on any violation), and keyboard reachability of the shell.
 */
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the console shell', () => {
  it('sends a signed-out visitor to sign-in, and back to the screen they asked for after', async () => {
    const user = await signedInUser(stack, 'Grace Guard');
    const session = await openConsole(browser, stack);
    const { page } = session;
    await page.goto('/account/security?tab=sessions');
    await page.waitForURL(/\/sign-in\?next=/);
    expect(new URL(page.url()).searchParams.get('next')).toBe('/account/security?tab=sessions');
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/account/security' && url.search === '?tab=sessions');
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toBe(user.email);
    await session.close();
  });

  it('falls back to sign-in when the session ends elsewhere (revoked from another device)', async () => {
    const user = await signedInUser(stack, 'Rita Revoked');
    const session = await openConsole(browser, stack);
    const { page } = session;
    await signInByForm(page, user.email, PASSWORD);
    // The landing screen's own calls finish first: one answered 401 would send it to sign-in before the click.
    await page.waitForLoadState('networkidle');
    // The browser's session, ended from the API by the other session of the same account.
    const sessions = await user.client.get('/api/user/sessions');
    const browserSession = (sessions.body.data as Array<{ id: string; current: boolean }>).find((s) => !s.current);
    expect(browserSession).toBeDefined();
    expect((await user.client.delete(`/api/user/sessions/${browserSession?.id}`)).status).toBe(200);
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(/\/sign-in\?next=%2Faccount%2Fapi-keys/);
    await session.close();
  });

  it('shows the calls of the current screen as curl, with the jar, and never a password', async () => {
    const user = await signedInUser(stack, 'Paula Panel');
    const session = await openConsole(browser, stack);
    const { page } = session;
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByText('Use the API').click();
    const panel = page.locator('.api-panel');
    await expect(panel.textContent()).resolves.toContain(`${stack.urls.gateway}/api/auth/identify`);
    const text = (await panel.textContent()) ?? '';
    expect(text).toContain(`"email": "${user.email}"`);
    expect(text).toContain('-c cookies.txt');
    expect(text).toContain('"password": "…"');
    expect(text).not.toContain('not-the-password');
    await expectAccessible(page, 'the sign-in page with its API panel open');
    // A new screen starts the panel afresh.
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(/forgot-password/);
    await expect(page.locator('.api-calls').count()).resolves.toBe(0);
    await session.close();
  });

  it('reaches every part of the shell by keyboard: skip link first, then the navigation', async () => {
    const user = await signedInUser(stack, 'Kim Keys');
    const session = await openConsole(browser, stack);
    const { page } = session;
    await signInByForm(page, user.email, PASSWORD);
    // A page as loaded starts at the top: the skip link is the first stop.
    await page.goto('/account');
    await page.locator('main h1').waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to content');
    await page.keyboard.press('Enter');
    await expect(page.evaluate(() => location.hash)).resolves.toBe('#main');
    await page.goto('/account');
    await page.locator('main h1').waitFor();
    for (let i = 0; i < 30; i += 1) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
      if (focused === 'Security') break;
    }
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/account\/security$/);
    // A screen opened by a link puts focus on its title, so a screen reader says where it led.
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    await expectAccessible(page, 'the signed-in shell');
    await session.close();
  });
});
