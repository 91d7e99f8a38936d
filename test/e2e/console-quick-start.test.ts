import { eventually } from '@gatehouse/service-kit/testing';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchBrowser, openConsole, screenshot, signInByForm } from '../support/console.js';
import { PASSWORD, uniqueEmail } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The Quick Start (docs: sign up → verify → sign in → create a Personal Access Token → call the
 * API with it), done entirely by clicking in the console, then the key used from a script.
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
}, 120_000);

describe('the Quick Start in the console', () => {
  it('signs up, verifies by the mailed link, signs in, creates a key shown once, and the key calls the API', async () => {
    const email = uniqueEmail('quick-start');
    const { page, close } = await openConsole(browser, stack);
    page.setDefaultTimeout(15_000);

    await page.goto('/sign-up');
    await page.getByLabel('Name').fill('Quinn Start');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();

    // The link from the real mail, opened in this browser (signed in as the account: nothing ends).
    const link = await eventually(async () => {
      const found = stack.smtp.linkTo(email, '/verify-email');
      if (!found) throw new Error('no verification mail yet');
      return found;
    }, 10_000);
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Your email is verified' }).waitFor();

    await signInByForm(page, email, PASSWORD);
    await page.goto('/account');
    await page.getByText('Verified', { exact: true }).waitFor();

    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    const form = page.getByRole('region', { name: 'Create a key' });
    await form.getByLabel('Name').fill('Quick Start script');
    for (const scope of ['user:read', 'projects:read', 'projects:write'])
      await form.getByLabel(scope, { exact: true }).check();
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByTestId('secret-value');
    await secret.waitFor();
    const key = (await secret.textContent()) ?? '';
    expect(key).toMatch(/^ba_/);
    await expectAccessible(page, 'the API keys screen with the new key');
    await screenshot(page, 'account-quick-start-key');

    // The key, from a script: it is the same person.
    const me = await fetch(`${stack.urls.gateway}/api/user/me`, { headers: { 'X-Api-Key': key } });
    expect(me.status).toBe(200);
    expect((await me.json()).data).toMatchObject({ email, fullName: 'Quinn Start', isVerified: true });

    // Nothing secret kept by the page: no storage holds the key (or anything else).
    const storage = await page.evaluate(() => ({
      local: Object.entries(localStorage),
      session: Object.entries(sessionStorage),
    }));
    expect(JSON.stringify(storage)).not.toContain(key);
    expect(storage).toEqual({ local: [], session: [] });

    // Shown once: away and back, the key is gone from the screen (and from the page's HTML).
    await page.getByRole('link', { name: 'Profile', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
    await page.getByRole('link', { name: 'API keys', exact: true }).click();
    await page.getByTestId('key-row').filter({ hasText: 'Quick Start script' }).waitFor();
    expect(await page.getByTestId('secret-value').count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    // Only its first characters are listed, to recognise it by.
    const start = (await page.getByTestId('key-row').locator('code').first().textContent()) ?? '';
    expect(key.startsWith(start.replace(/…$/, ''))).toBe(true);
    expect(start.length).toBeLessThan(key.length);
    await close();
  }, 90_000);
});
