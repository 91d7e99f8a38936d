import { eventually } from '@gatehouse/service-kit/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { expectAccessible, launchBrowser, openConsole, screenshot, signInByForm } from '../support/console.js';
import { mailedToken, PASSWORD, signedInUser, uniqueEmail, verifiedUser } from '../support/flows.js';
import { ageSecondFactor, enableTotp, GENEROUS_LIMITS, userWithTotp } from '../support/mfa.js';
import { type Stack, startStack } from '../support/stack.js';
import { totpCode, totpCodeAt } from '../support/totp.js';
import { addVirtualAuthenticator } from '../support/webauthn.js';

/**
 * The console's two-step verification in headless Chromium, driven the way a person uses it: an
 * authenticator app set up from the Security screen (codes from oathtool), recovery codes shown once,
 * the second-factor step at sign-in, passkeys (Chromium's virtual authenticator) added and used to
 * sign in, the step-up dialog, the mailed sign-in link, and an organization's policy. The stack's
 * public host is `localhost` (WebAuthn refuses an IP address as the relying party).
 */
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack(GENEROUS_LIMITS, {}, { publicHost: 'localhost' });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
}, 120_000);

/**
 * The console on the stack's public origin (http://localhost:port, `stack.urls.gateway`): the gateway
 * refuses writes from any other Origin, and WebAuthn needs the relying party's host.
 */
async function consoleFor(options: Parameters<typeof openConsole>[2] = {}) {
  const session = await openConsole(browser, stack, options);
  // Fail at the step that does not happen, well before the test's own timeout.
  session.page.setDefaultTimeout(15_000);
  return session;
}

/** Email, password, then the second-factor step (which must be asked for). */
async function signInToMfaStep(page: Page, email: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
}

const RECOVERY_CODE = /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/;

describe('authenticator app', () => {
  it('is set up from the Security screen, shows the recovery codes once, and is asked for at the next sign-in', async () => {
    const user = await signedInUser(stack, 'Tess Totp');
    const { page, close } = await consoleFor();
    await signInByForm(page, user.email, PASSWORD);
    await page.goto('/account/security');
    await page.getByRole('heading', { level: 2, name: 'Two-step verification' }).waitFor();
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toMatch(/^Off/);
    await expectAccessible(page, 'the Security screen without a second factor');
    await screenshot(page, 'account-security-mfa-off');

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByRole('img', { name: 'QR code to scan with your authenticator app' }).waitFor();
    expect(await page.getByRole('img', { name: /QR code/ }).getAttribute('src')).toMatch(/^data:image\//);
    await expectAccessible(page, 'setting up an authenticator app');
    await screenshot(page, 'account-security-totp-setup');

    // A wrong code is refused beside the field, and nothing is turned on.
    const wrong = totpCode(secret) === '000000' ? '111111' : '000000';
    await page.getByLabel('Code from the app').fill(wrong);
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByLabel('Code from the app').and(page.locator('[aria-invalid="true"]')).waitFor();
    expect((await user.client.get('/api/user/mfa')).body.data.enabled).toBe(false);

    await page.getByLabel('Code from the app').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = page.getByTestId('recovery-codes').getByRole('listitem');
    await expect.poll(() => codes.count()).toBe(10);
    const shown = (await codes.allTextContents()).map((code) => code.trim());
    for (const code of shown) expect(code).toMatch(RECOVERY_CODE);
    expect(new Set(shown).size).toBe(10);
    await page.getByRole('link', { name: 'Download' }).waitFor();
    await expectAccessible(page, 'the recovery codes');
    await screenshot(page, 'account-security-recovery-codes');
    await page.getByRole('button', { name: 'I saved them' }).click();
    await expect.poll(() => page.getByTestId('recovery-codes').count()).toBe(0);
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toMatch(/^On/);
    await expect.poll(() => page.getByTestId('recovery-codes-left').textContent()).toMatch(/^10 codes left/);
    expect((await user.client.get('/api/user/mfa')).body.data).toMatchObject({
      enabled: true,
      recoveryCodesLeft: 10,
    });

    // Shown once: a reload shows how many are left, never the codes.
    await page.reload();
    await page.getByTestId('recovery-codes-left').waitFor();
    expect(await page.getByTestId('recovery-codes').count()).toBe(0);
    expect(await page.content()).not.toContain(shown[0]);

    // The next sign-in asks for a code; a wrong one says how many attempts are left.
    await signOut(page);
    await signInToMfaStep(page, user.email);
    await expectAccessible(page, 'the second-factor step');
    await screenshot(page, 'sign-in-mfa-step');
    const input = page.getByLabel('Authenticator code');
    expect(await input.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await input.getAttribute('inputmode')).toBe('numeric');
    await input.fill(wrong);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('mfa-error').textContent()).toMatch(/4 attempts left/);
    // The code of the next step: the one of this step was spent turning the app on.
    await page.getByLabel('Authenticator code').fill(totpCodeAt(secret, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe(user.email);

    // A recovery code works once instead of the app.
    await signOut(page);
    await signInToMfaStep(page, user.email);
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill((shown[0] ?? '').toLowerCase());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe(user.email);
    expect((await user.client.get('/api/user/mfa')).body.data.recoveryCodesLeft).toBe(9);
    await page.goto('/account/security');
    await expect.poll(() => page.getByTestId('recovery-codes-left').textContent()).toMatch(/^9 codes left/);

    // Removing the app (its last factor) turns two-step verification off.
    await page.getByRole('button', { name: 'Remove the authenticator app' }).click();
    await page
      .getByRole('dialog', { name: 'Remove the authenticator app?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    await expect.poll(() => page.getByTestId('mfa-status').textContent()).toMatch(/^Off/);
    expect((await user.client.get('/api/user/mfa')).body.data.enabled).toBe(false);
    await close();
  }, 120_000);
});

describe('the second-factor page after SSO', () => {
  it('reads the challenge from the fragment, drops it from the address bar, and signs in with it', async () => {
    const user = await userWithTotp(stack, 'Sam Sso', { verified: true });
    // A password sign-in's challenge: the page treats every challenge alike (an SSO one adds redirectTo).
    const challenged = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
      email: user.email,
      password: PASSWORD,
    });
    expect(challenged.body.data).toMatchObject({ mfaRequired: true, factors: expect.arrayContaining(['totp']) });
    const { page, close } = await consoleFor({ colorScheme: 'dark' });
    await page.goto(`/sign-in/mfa#challenge=${challenged.body.data.challengeId}`);
    await page.getByLabel('Authenticator code').waitFor();
    await expect.poll(() => new URL(page.url()).hash).toBe('');
    await expectAccessible(page, 'the second-factor page, dark');
    await screenshot(page, 'sign-in-mfa-page-dark');
    await page.getByLabel('Authenticator code').fill(totpCodeAt(user.secret, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe(user.email);
    expect(new URL(page.url()).pathname).not.toBe('/sign-in/mfa');

    // Spent: the same challenge again is a dead end with a way back, and no link at all says so too.
    await page.goto(`/sign-in/mfa#challenge=${challenged.body.data.challengeId}`);
    await page.getByText('This sign-in step expired or was already used.').waitFor();
    await page.getByRole('link', { name: 'Sign in again' }).waitFor();
    await page.goto('/sign-in/mfa');
    await page.getByText('This page needs the link your sign-in opened.').waitFor();
    await close();
  }, 90_000);
});

describe('passkeys and step-up', () => {
  it('adds and renames a passkey, signs in with it, and asks for it again before a sensitive change', async () => {
    const user = await signedInUser(stack, 'Pia Passkey');
    const { page, close } = await consoleFor();
    // The virtual authenticator needs the page on the stack's origin.
    await page.goto('/sign-in');
    const authenticator = await addVirtualAuthenticator(page);
    await signInByForm(page, user.email, PASSWORD);
    await page.goto('/account/security');
    await page.getByText('No passkey yet.').waitFor();
    await page.getByLabel('Passkey name').fill('Work laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    // The account's first factor: its recovery codes come with it.
    await expect.poll(() => page.getByTestId('recovery-codes').getByRole('listitem').count()).toBe(10);
    await page.getByRole('button', { name: 'I saved them' }).click();
    const row = page.getByTestId('passkey-row');
    await expect.poll(() => row.count()).toBe(1);
    await expect.poll(() => row.first().textContent()).toContain('Work laptop');
    expect(await authenticator.credentials()).toHaveLength(1);
    await expectAccessible(page, 'the Security screen with a passkey');
    await screenshot(page, 'account-security-passkeys');

    await page.getByRole('button', { name: 'Rename passkey Work laptop' }).click();
    await page.getByLabel('New name for Work laptop').fill('Laptop');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => row.first().locator('td').first().textContent()).toBe('Laptop');
    const [listed] = (await user.client.get('/api/user/mfa/passkeys')).body.data;
    expect(listed).toMatchObject({ name: 'Laptop' });

    // Passwordless: no address typed, the browser's passkey is the whole sign-in.
    await signOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe(user.email);

    // Later than the step-up window: creating a key asks for the passkey again, then goes through.
    await ageSecondFactor(stack, { userId: user.userId });
    await page.goto('/account/api-keys');
    const form = page.getByRole('region', { name: 'Create a key' });
    await form.getByLabel('Name').fill('After step-up');
    await form.getByLabel('projects:read', { exact: true }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.getByRole('button', { name: 'Use a passkey' }).waitFor();
    await expectAccessible(page, 'the step-up dialog');
    await screenshot(page, 'step-up-dialog');
    // Cancelled: the refusal stands, and no key is made.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.notice-error').first().waitFor();
    expect((await user.client.get('/api/auth/api-key/list')).body.data).toEqual([]);

    await page.getByRole('button', { name: 'Create key' }).click();
    await dialog.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByTestId('secret-value').waitFor();
    expect(await page.getByTestId('secret-value').textContent()).toMatch(/^ba_/);
    expect(await dialog.isVisible()).toBe(false);
    const keys = (await user.client.get('/api/auth/api-key/list')).body.data;
    expect(keys.map((key: { name: string }) => key.name)).toEqual(['After step-up']);
    await close();
  }, 120_000);
});

describe('sign-in link', () => {
  it('signs in only after the click, once, and says the same for an unknown address', async () => {
    const user = await signedInUser(stack, 'Mo Magic');
    const { page, close } = await consoleFor();
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByText(`If ${user.email} has an account, a sign-in link is on its way`).waitFor();
    const token = await mailedToken(stack, user.email, '/magic-link');

    // Nobody's address: the same answer.
    const nobody = uniqueEmail('nobody');
    await page.getByLabel('Email').fill(nobody);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByText(`If ${nobody} has an account, a sign-in link is on its way`).waitFor();

    // Opening the link spends nothing: a mail scanner that opens it signs nobody in.
    await page.goto(`/magic-link?token=${token}`);
    await page.getByRole('heading', { level: 1, name: 'Sign in with your email link' }).waitFor();
    await expectAccessible(page, 'the sign-in link page');
    await screenshot(page, 'magic-link');
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe(user.email);

    // Once only.
    await signOut(page);
    await page.goto(`/magic-link?token=${token}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'This sign-in link does not work' }).waitFor();
    await close();
  }, 90_000);

  it('still asks for the second factor of an account that has one', async () => {
    // Verified: following a link to an unverified account proves the address and ends what a stranger set up, factors included.
    const user = await userWithTotp(stack, 'Max Magic', { verified: true });
    const { page, close } = await consoleFor();
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(user.email);
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    const token = await mailedToken(stack, user.email, '/magic-link');
    await page.goto(`/magic-link?token=${token}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Authenticator code').fill(totpCodeAt(user.secret, 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('signed-in-as').textContent()).toBe(user.email);
    await close();
  }, 90_000);
});

describe('organization policy', () => {
  it('lets an owner require two-step verification, and sends a member without it to set it up', async () => {
    const owner = await verifiedUser(stack, 'Olga Owner');
    const member = await verifiedUser(stack, 'Mel Member');
    const invited = await owner.client.post(`/api/user/organizations/${owner.organizationId}/invites`, {
      email: member.email,
      role: 'member',
    });
    expect(invited.status).toBe(201);
    const inviteToken = await mailedToken(stack, member.email, '/accept-invite');
    expect((await member.client.post(`/api/user/invites/${inviteToken}/accept`)).status).toBe(200);
    const { secret: ownerSecret } = await enableTotp(owner.client);
    // Right after enrolling, the owner's session proved its factor: no step-up needed.
    const required = await owner.client.put(`/api/user/organizations/${owner.organizationId}/settings/security`, {
      mfaRequired: true,
    });
    expect(required.status, JSON.stringify(required.body)).toBe(200);

    const { page, close } = await consoleFor();
    await signInByForm(page, member.email, PASSWORD);
    await page.goto(`/orgs/${owner.organizationId}/projects`);
    const notice = page.getByTestId('mfa-policy-notice');
    await expect.poll(() => notice.textContent()).toContain('requires two-step verification');
    await expectAccessible(page, 'an organization refusing a member without a second factor');
    await screenshot(page, 'organization-mfa-required');
    await notice.getByRole('link', { name: 'Set up two-step verification' }).click();
    await page.getByRole('heading', { level: 1, name: 'Security' }).waitFor();

    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())?.trim() ?? '';
    await page.getByLabel('Code from the app').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('button', { name: 'I saved them' }).click();

    // Enrolled (and this session upgraded): the organization opens.
    await eventually(async () => {
      await page.goto(`/orgs/${owner.organizationId}/projects`);
      await page.getByRole('heading', { level: 1, name: 'Projects' }).waitFor({ timeout: 3_000 });
      if (await notice.count()) throw new Error('still refused');
    }, 20_000);

    // The members list says who has it; the settings say it is required (a member cannot change it).
    await page.goto(`/orgs/${owner.organizationId}/members`);
    await expect
      .poll(async () => (await page.getByTestId('member-mfa').allTextContents()).sort(), { timeout: 15_000 })
      .toEqual(['On', 'On']);
    await page.goto(`/orgs/${owner.organizationId}/settings`);
    await expect
      .poll(() => page.getByTestId('org-mfa-required').textContent())
      .toContain('Every member must use two-step verification');
    await close();

    // The owner's own screen: the switch, on.
    const ownerConsole = await consoleFor();
    await signInToMfaStep(ownerConsole.page, owner.email);
    await ownerConsole.page.getByLabel('Authenticator code').fill(totpCodeAt(ownerSecret, 1));
    await ownerConsole.page.getByRole('button', { name: 'Sign in' }).click();
    await ownerConsole.page.getByTestId('signed-in-as').waitFor();
    await ownerConsole.page.goto(`/orgs/${owner.organizationId}/settings`);
    const requirement = ownerConsole.page.getByLabel('Require two-step verification of every member');
    await expect.poll(() => requirement.isChecked()).toBe(true);
    await expectAccessible(ownerConsole.page, 'the organization security settings');
    await screenshot(ownerConsole.page, 'organization-settings-security');
    await ownerConsole.close();
  }, 150_000);
});
