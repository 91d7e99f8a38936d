import { readFile } from 'node:fs/promises';
import { eventually } from '@gatehouse/service-kit/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { expectAccessible, launchBrowser, openConsole, screenshot, signInByForm } from '../support/console.js';
import { createKey, keyClient, PASSWORD, signedInUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The account screens in headless Chromium, driven the way a person uses them (labels, buttons'
 * accessible names), and every effect checked through the API afterwards.
 */
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_SIGN_IN_MAX: '1000',
    RATE_LIMIT_SIGN_UP_MAX: '1000',
    RATE_LIMIT_EMAIL_MAX: '1000',
  });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
}, 120_000);

/** A phone-width screen must not scroll sideways (tables scroll inside their own box). */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
}

/** The message an input is described by (Field ties its error to it with aria-describedby). */
async function errorOf(page: Page, label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  await input.and(page.locator('[aria-invalid="true"]')).waitFor();
  const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(' ').filter((id) => id.endsWith('-error'));
  expect(ids, `${label} has an error tied to it`).toHaveLength(1);
  return (await page.locator(`[id="${ids[0]}"]`).textContent()) ?? '';
}

async function signInAs(user: { email: string }, options: Parameters<typeof openConsole>[2] = {}) {
  const session = await openConsole(browser, stack, options);
  // Fail at the step that does not happen, well before the test's own timeout.
  session.page.setDefaultTimeout(15_000);
  await signInByForm(session.page, user.email, PASSWORD);
  return session;
}

function signInByApi(email: string, password = PASSWORD) {
  const client = new ApiClient(stack.urls.gateway);
  return client.post('/api/auth/sign-in/email', { email, password }).then((res) => ({ client, status: res.status }));
}

describe('profile', () => {
  it('saves the name and handle, shows handle problems by the handle, sends the verification mail, exports my data', async () => {
    const user = await signedInUser(stack, 'Pat Profile');
    const other = await signedInUser(stack, 'Olive Other');
    const otherHandle: string = (await other.client.get('/api/user/me')).body.data.handle;
    const { page, close } = await signInAs(user);
    await page.goto('/account');
    await page.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
    await page.getByText(user.email, { exact: true }).first().waitFor();
    await page.getByText('Not verified').waitFor();
    await expectAccessible(page, 'the profile screen');
    await screenshot(page, 'account-profile');

    const handle = `pat-${Date.now().toString(36)}`;
    await page.getByLabel('Full name').fill('Patricia Profile');
    await page.getByLabel('Handle', { exact: true }).fill(handle);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Profile saved.').waitFor();
    const saved = (await user.client.get('/api/user/me')).body.data;
    expect(saved).toMatchObject({ fullName: 'Patricia Profile', handle });

    // A handle the API's pattern refuses: the 400 names body.handle, shown under the handle.
    await page.getByLabel('Handle', { exact: true }).fill('-Not A Handle');
    await page.getByRole('button', { name: 'Save profile' }).click();
    expect(await errorOf(page, 'Handle')).toMatch(/\S/);
    // Someone else's handle: a 409 HANDLE_TAKEN, shown under the handle too.
    await page.getByLabel('Handle', { exact: true }).fill(otherHandle);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('This handle is taken').waitFor();
    expect(await errorOf(page, 'Handle')).toBe('This handle is taken');
    expect((await user.client.get('/api/user/me')).body.data.handle).toBe(handle);
    await expectAccessible(page, 'the profile screen with a field error');

    const mailsBefore = stack.smtp.received.filter((mail) => mail.to.includes(user.email)).length;
    await page.getByRole('button', { name: 'Send verification email' }).click();
    await page.getByText(`Verification email sent to ${user.email}.`).waitFor();
    await eventually(async () =>
      expect(stack.smtp.received.filter((mail) => mail.to.includes(user.email)).length).toBe(mailsBefore + 1),
    );

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export my data' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^gatehouse-account-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(await readFile((await download.path()) as string, 'utf8'));
    expect(exported.user).toMatchObject({ email: user.email, handle, fullName: 'Patricia Profile' });
    expect(Array.isArray(exported.sessions)).toBe(true);
    await page.getByText('Your data was downloaded.').waitFor();
    await close();
  }, 90_000);

  it('reads well in dark at phone width', async () => {
    const user = await signedInUser(stack, 'Dana Dark');
    const { page, close } = await signInAs(user, { colorScheme: 'dark', width: 390 });
    await page.goto('/account');
    await page.getByRole('button', { name: 'Export my data' }).waitFor();
    await expectAccessible(page, 'the profile screen in dark at 390 px');
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'account-profile-dark-390');
    await close();
  }, 90_000);

  it('deletes the account behind a confirmation, signs out, and the account is gone', async () => {
    const user = await signedInUser(stack, 'Del Eted');
    const { page, close } = await signInAs(user);
    await page.goto('/account');
    await page.getByRole('button', { name: 'Delete my account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete your account?' });
    await dialog.waitFor();
    await expectAccessible(page, 'the delete-account confirmation');
    // Cancel first: nothing happens.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await user.client.get('/api/user/me')).status).toBe(200);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await dialog.getByRole('button', { name: 'Delete my account for good' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await eventually(async () => expect((await user.client.get('/api/user/me')).status).toBe(401), 2000, 50);
    expect((await signInByApi(user.email)).status).toBe(401);
    // The browser's own session went with it: the signed-in screens send it back to sign-in.
    await page.goto('/account');
    await page.waitForURL(/\/sign-in\?next=%2Faccount/);
    await close();
  }, 90_000);
});

describe('security', () => {
  it('lists the sessions and sign-ins, revokes the other session, and changing the password with "sign out my other sessions" ends sessions and keys', async () => {
    const user = await signedInUser(stack, 'Sam Sessions');
    // A failed attempt, so the history shows one.
    expect((await signInByApi(user.email, 'not-the-password')).status).toBe(401);
    const { page, close } = await signInAs(user);
    await page.goto('/account/security');
    await page.getByRole('heading', { level: 1, name: 'Security' }).waitFor();

    // Two sessions: the API client's and this browser's, which is marked.
    const sessions = page.getByTestId('session-row');
    await eventually(async () => expect(await sessions.count()).toBe(2));
    const current = sessions.filter({ hasText: 'This session' });
    expect(await current.count()).toBe(1);
    expect(await current.textContent()).toContain('Headless Chrome');
    // Sign-up does not sign in; the API's sign-in, the failure and the browser's are listed.
    const logins = page.getByTestId('login-row');
    await eventually(async () => expect(await logins.count()).toBe(3));
    expect(await logins.filter({ hasText: 'Failed' }).count()).toBe(1);
    expect(await logins.filter({ hasText: 'Succeeded' }).count()).toBe(2);
    await expectAccessible(page, 'the security screen');
    await screenshot(page, 'account-security');

    // The other session (the API client's) is revoked: its cookie stops working.
    const other = sessions.filter({ hasNotText: 'This session' });
    await other.getByRole('button', { name: /^Revoke session on / }).click();
    await page.getByText(/^Signed out the session on /).waitFor();
    await eventually(async () => expect((await user.client.get('/api/user/me')).status).toBe(401), 2000, 50);
    await eventually(async () => expect(await sessions.count()).toBe(1));

    // Another session and a key, which "sign out my other sessions" must end.
    const second = await signInByApi(user.email);
    expect(second.status).toBe(200);
    const key = await createKey(second.client, { name: 'ends with the password', scopes: ['user:read'] });
    expect((await keyClient(stack, key.key).get('/api/user/me')).status).toBe(200);

    // A wrong current password: shown by that input, nothing changes.
    await page.getByLabel('Current password').fill('not-the-password');
    await page.getByLabel('New password').fill('a-brand-new-passphrase');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await errorOf(page, 'Current password')).toMatch(/\S/);
    expect((await second.client.get('/api/user/me')).status).toBe(200);
    // Too short a new password: the 400 names newPassword.
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await errorOf(page, 'New password')).toMatch(/\S/);

    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password').fill('a-brand-new-passphrase');
    await page.getByLabel('Sign out my other sessions').check();
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText(/^Password changed\. Your other sessions, API keys/).waitFor();
    expect(await page.getByLabel('Current password').inputValue()).toBe('');
    await eventually(async () => expect((await second.client.get('/api/user/me')).status).toBe(401), 2000, 50);
    await eventually(
      async () => expect((await keyClient(stack, key.key).get('/api/user/me')).status).toBe(401),
      2000,
      50,
    );
    expect((await signInByApi(user.email)).status).toBe(401);
    expect((await signInByApi(user.email, 'a-brand-new-passphrase')).status).toBe(200);

    // This browser stayed signed in.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Security' }).waitFor();
    await page.getByTestId('session-row').first().waitFor();

    // Ending this very session signs out.
    await page.getByRole('button', { name: /^Sign out this session/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign out this session?' });
    await dialog.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto('/account/security');
    await page.waitForURL(/\/sign-in\?next=/);
    await close();
  }, 90_000);

  it('reads well in dark at phone width', async () => {
    const user = await signedInUser(stack, 'Nia Night');
    const { page, close } = await signInAs(user, { colorScheme: 'dark', width: 390 });
    await page.goto('/account/security');
    await page.getByTestId('login-row').first().waitFor();
    await page.getByTestId('session-row').first().waitFor();
    await expectAccessible(page, 'the security screen in dark at 390 px');
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'account-security-dark-390');
    await close();
  }, 90_000);
});

describe('API keys', () => {
  it('creates a pinned, scoped, expiring key shown once; disables, enables and deletes it', async () => {
    const user = await signedInUser(stack, 'Kim Keys');
    const organization = (await user.client.get(`/api/user/organizations/${user.organizationId}`)).body.data;
    const { page, close } = await signInAs(user);
    await page.goto('/account/api-keys');
    await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
    await page.getByText('No key yet.', { exact: false }).waitFor();
    await expectAccessible(page, 'the API keys screen, empty');
    await screenshot(page, 'account-api-keys-empty');

    // The form is its own region: the top bar has an "Organization" switcher too.
    const form = page.getByRole('region', { name: 'Create a key' });
    // No scope: the API's 400 on body.scopes is shown with the scopes.
    await form.getByLabel('Name').fill('CI deploys');
    await page.getByRole('button', { name: 'Create key' }).click();
    const scopes = page.getByRole('group', { name: 'Scopes' });
    await scopes.locator('.field-error').waitFor();
    expect((await user.client.get('/api/auth/api-key/list')).body.data).toEqual([]);

    await form.getByLabel('Name').fill('CI deploys');
    await form.getByLabel('Expires').selectOption({ label: '90 days' });
    await form.getByLabel('Organization', { exact: true }).selectOption({ label: organization.name });
    await form.getByLabel('projects:read', { exact: true }).check();
    await form.getByLabel('projects:write', { exact: true }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByTestId('secret-value');
    await secret.waitFor();
    const value = (await secret.textContent()) ?? '';
    expect(value).toMatch(/^ba_/);
    await page.getByRole('region', { name: 'Your new key' }).waitFor();

    const [listed] = (await user.client.get('/api/auth/api-key/list')).body.data;
    expect(listed).toMatchObject({
      name: 'CI deploys',
      enabled: true,
      metadata: { organizationId: user.organizationId },
    });
    expect([...listed.scopes].sort()).toEqual(['projects:read', 'projects:write']);
    const days = (Date.parse(listed.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);
    expect(value.startsWith(listed.start)).toBe(true);
    const script = keyClient(stack, value);
    const projects = `/api/user/organizations/${user.organizationId}/projects`;
    expect((await script.get(projects)).status).toBe(200);

    const row = page.getByTestId('key-row').filter({ hasText: 'CI deploys' });
    await row.waitFor();
    expect(await row.textContent()).toContain(organization.name);
    expect(await row.textContent()).toContain('Enabled');
    await expectAccessible(page, 'the API keys screen with a new key');
    await screenshot(page, 'account-api-keys');

    await page.getByRole('button', { name: 'Disable key CI deploys' }).click();
    await page.getByText('Key “CI deploys” disabled.').waitFor();
    expect((await user.client.get(`/api/auth/api-key/get?id=${listed.id}`)).body.data.enabled).toBe(false);
    await eventually(async () => expect((await script.get(projects)).status).toBe(401), 2000, 50);
    await row.getByText('Disabled', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Enable key CI deploys' }).click();
    await page.getByText('Key “CI deploys” enabled.').waitFor();
    expect((await user.client.get(`/api/auth/api-key/get?id=${listed.id}`)).body.data.enabled).toBe(true);
    // An enabled key is trusted again once the gateways' negative cache of it expires.
    await eventually(async () => expect((await script.get(projects)).status).toBe(200), 15_000, 100);

    await page.getByRole('button', { name: 'Delete key CI deploys' }).click();
    await page
      .getByRole('dialog', { name: 'Delete key “CI deploys”?' })
      .getByRole('button', { name: 'Delete key' })
      .click();
    await page.getByText('Key “CI deploys” deleted.').waitFor();
    expect((await user.client.get('/api/auth/api-key/list')).body.data).toEqual([]);
    await eventually(async () => expect((await script.get(projects)).status).toBe(401), 2000, 50);
    await page.getByText('No key yet.', { exact: false }).waitFor();
    await close();
  }, 90_000);

  it('reads well in dark at phone width, with a key listed', async () => {
    const user = await signedInUser(stack, 'Lee Late');
    await createKey(user.client, { name: 'Nightly backup', scopes: ['projects:read', 'user:read'] });
    const { page, close } = await signInAs(user, { colorScheme: 'dark', width: 390 });
    await page.goto('/account/api-keys');
    await page.getByTestId('key-row').first().waitFor();
    await expectAccessible(page, 'the API keys screen in dark at 390 px');
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'account-api-keys-dark-390');
    await close();
  }, 90_000);
});
