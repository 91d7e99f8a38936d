import { eventually } from '@gatehouse/service-kit/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { expectAccessible, launchBrowser, openConsole, screenshot, signInByForm } from '../support/console.js';
import { PASSWORD, signedInUser, uniqueEmail, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The pages before sign-in and the ones mailed links open, in headless Chromium: driven by labels
 * and buttons' names, each mail read from the real SMTP server, each effect checked through the API.
 */
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_SIGN_IN_MAX: '1000',
    RATE_LIMIT_SIGN_UP_MAX: '1000',
    RATE_LIMIT_EMAIL_MAX: '1000',
    RATE_LIMIT_SSO_START_MAX: '1000',
  });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** The message an input is described by (Field ties its error to it with aria-describedby). */
async function errorOf(page: Page, label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  await page.waitForFunction(
    (element) => element?.getAttribute('aria-invalid') === 'true',
    await input.elementHandle(),
  );
  const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(' ').filter((id) => id.endsWith('-error'));
  expect(ids, `${label} has an error tied to it`).toHaveLength(1);
  return (await page.locator(`[id="${ids[0]}"]`).textContent()) ?? '';
}

/** The newest mailed link to this address containing `part`. */
function mailedLink(email: string, part: string): Promise<URL> {
  return eventually(async () => {
    const link = stack.smtp.linkTo(email, part);
    if (!link) throw new Error('no such mail yet');
    return new URL(link);
  }, 10_000);
}

/** How many requests the page sent to this API path (path only, any query). */
function countRequests(page: Page, path: string): () => number {
  let count = 0;
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === path) count += 1;
  });
  return () => count;
}

function heading(page: Page, name: string) {
  return page.getByRole('heading', { level: 1, name }).waitFor();
}

async function signInStatus(email: string, password: string): Promise<number> {
  return (await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', { email, password })).status;
}

describe('sign-up and the verification link', () => {
  it('signs up by clicking; the mailed console link verifies the address in that same browser, once', async () => {
    const email = uniqueEmail('signup');
    const session = await openConsole(browser, stack);
    const { page } = session;
    const verifyCalls = countRequests(page, '/api/auth/verify-email');
    await page.goto('/sign-up');
    await heading(page, 'Create your account');
    await expectAccessible(page, 'the sign-up page');

    // The API's field errors, next to their inputs.
    await page.getByLabel('Name', { exact: true }).fill('Sam Signup');
    await page.getByLabel('Email', { exact: true }).fill('not-an-address');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(await errorOf(page, 'Email')).toMatch(/email/i);
    expect(await errorOf(page, 'Password')).toMatch(/8/);
    await expectAccessible(page, 'the sign-up page with field errors');
    await screenshot(page, 'public-sign-up-errors');

    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await heading(page, 'Check your email');
    await expect(page.locator('main').textContent()).resolves.toContain(email);
    await expectAccessible(page, 'the sign-up confirmation');
    await screenshot(page, 'public-sign-up-done');

    const link = await mailedLink(email, '/verify-email');
    expect(link.origin).toBe(stack.urls.gateway);
    expect(link.pathname).toBe('/verify-email');
    expect(link.searchParams.get('token')).toMatch(/^[A-Za-z0-9]{43}$/);
    await page.goto(link.toString());
    await heading(page, 'Your email is verified');
    await expect(page.locator('main').textContent()).resolves.not.toContain('password was cleared');
    await expectAccessible(page, 'the verified page');
    await screenshot(page, 'public-verify-email-done');
    expect(verifyCalls(), 'the token is spent by one request').toBe(1);

    // This browser's session was the account's own: it is verified, and still signed in.
    const me = await page.evaluate(async () => (await fetch('/api/user/me')).json());
    expect(me.data).toMatchObject({ email, isVerified: true });
    await page.getByRole('link', { name: 'Continue' }).click();
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toBe(email);

    // The same link again: spent; the page says so and knows this address is verified already.
    await page.goto(link.toString());
    await heading(page, 'This link does not work');
    await page.getByText('which is already verified').waitFor();
    await expectAccessible(page, 'a spent verification link');

    // An address that has an account: the API says so (409), and the page says no more.
    const again = await openConsole(browser, stack, { colorScheme: 'dark' });
    await again.page.goto('/sign-up');
    await again.page.getByLabel('Name', { exact: true }).fill('Sam Again');
    await again.page.getByLabel('Email', { exact: true }).fill(email);
    await again.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await again.page.getByRole('button', { name: 'Create account' }).click();
    await expect(again.page.getByRole('alert').textContent()).resolves.toBe(
      'An account with this email already exists',
    );
    await expectAccessible(again.page, 'sign-up of a taken address (dark)');
    await again.close();
    await session.close();
  });

  it('a link opened signed out verifies, says the account was signed out everywhere, and a dead link offers a new one', async () => {
    const user = await signedInUser(stack, 'Olga Elsewhere');
    const session = await openConsole(browser, stack, { colorScheme: 'dark', width: 390 });
    const { page } = session;
    const link = await mailedLink(user.email, '/verify-email');
    await page.goto(link.toString());
    await heading(page, 'Your email is verified');
    await page.getByText('its password was cleared').waitFor();
    await expectAccessible(page, 'verified from another browser (dark)');
    await screenshot(page, 'public-verify-email-ended-dark-390');
    expect((await user.client.get('/api/user/me')).status).toBe(401);
    await mailedLink(user.email, '/reset-password');

    // Signed out with a dead link: the address is typed, and the answer is the API's neutral one.
    await page.goto('/verify-email?token=notarealtokenbutlongenough123');
    await heading(page, 'This link does not work');
    await page.getByLabel('Email', { exact: true }).fill(uniqueEmail('nobody'));
    await page.getByRole('button', { name: 'Send a new link' }).click();
    await page.getByText('a new link is on its way').waitFor();
    await expectAccessible(page, 'a dead verification link, signed out (dark)');
    await session.close();
  });

  it('signed in and unverified, a dead link mails a new one with one click', async () => {
    const user = await signedInUser(stack, 'Una Resend');
    const first = await mailedLink(user.email, '/verify-email');
    const session = await openConsole(browser, stack);
    const { page } = session;
    await signInByForm(page, user.email, PASSWORD);
    await page.goto('/verify-email?token=notarealtokenbutlongenough123');
    await heading(page, 'This link does not work');
    await page.getByRole('button', { name: 'Send a new link' }).click();
    await page.getByText('a new link is on its way').waitFor();
    const second = await eventually(async () => {
      const link = await mailedLink(user.email, '/verify-email');
      if (link.toString() === first.toString()) throw new Error('no new link yet');
      return link;
    }, 10_000);
    await page.goto(second.toString());
    await heading(page, 'Your email is verified');
    expect((await user.client.get('/api/user/me')).body.data.isVerified).toBe(true);
    await session.close();
  });
});

describe('sign-in', () => {
  it('shows a wrong password as the form error and an invalid address by the Email input', async () => {
    const user = await signedInUser(stack, 'Wanda Wrong');
    const session = await openConsole(browser, stack);
    const { page } = session;
    await page.goto('/sign-in');
    await page.getByLabel('Email', { exact: true }).fill('not-an-address');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await errorOf(page, 'Email')).toMatch(/email/i);
    await expect(page.getByRole('alert').count()).resolves.toBe(0);

    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Invalid email or password');
    await expectAccessible(page, 'sign-in with a wrong password');
    await screenshot(page, 'public-sign-in-error');
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await session.close();
  });

  it('signs in with the keyboard alone', async () => {
    const user = await signedInUser(stack, 'Kai Keyboard');
    const session = await openConsole(browser, stack);
    const { page } = session;
    await page.goto('/sign-in');
    await heading(page, 'Sign in');
    // From wherever focus starts (the title, or the page itself on a first load), a few Tabs reach
    // the Email input: past the skip link and the brand at most.
    const focusedName = () => page.evaluate(() => document.activeElement?.getAttribute('name'));
    for (let presses = 0; presses < 3 && (await focusedName()) !== 'email'; presses += 1) {
      await page.keyboard.press('Tab');
    }
    await expect(focusedName()).resolves.toBe('email');
    await page.keyboard.type(user.email);
    await page.keyboard.press('Enter');
    // The password step takes focus itself.
    await page.getByLabel('Password', { exact: true }).waitFor();
    await expect(focusedName()).resolves.toBe('password');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('signed-in-as').textContent()).resolves.toBe(user.email);
    await session.close();
  });

  it('never follows `next` to another origin', async () => {
    const user = await signedInUser(stack, 'Nina Next');
    for (const next of ['//evil.example', '/\\evil.example', 'https://evil.example/']) {
      const session = await openConsole(browser, stack);
      const { page } = session;
      await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
      await page.getByLabel('Email', { exact: true }).fill(user.email);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      // The default landing (`/` opens the default organization), on this origin.
      await page.waitForURL(/\/orgs\/[^/]+\/projects$/);
      expect(new URL(page.url()).origin, `next=${next}`).toBe(stack.urls.gateway);
      await session.close();
    }
  });

  it('carries `next` through sign-up to sign-in and back', async () => {
    const session = await openConsole(browser, stack);
    const { page } = session;
    await page.goto('/sign-in?next=%2Faccount');
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-up' && url.searchParams.get('next') === '/account');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === '/account');
    await session.close();
  });
});

describe('password reset', () => {
  it('mails a link whose page sets a new password: the new one works, the old one and every session end', async () => {
    const user = await signedInUser(stack, 'Rosa Reset');
    const newPassword = 'a-fresh-passphrase-for-rosa';
    const session = await openConsole(browser, stack);
    const { page } = session;
    await page.goto('/sign-in');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await heading(page, 'Reset your password');
    await expectAccessible(page, 'the forgot-password page');
    await page.getByLabel('Email', { exact: true }).fill(user.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await heading(page, 'Check your email');
    await page.getByText(`If an account exists for ${user.email}, we sent it a link`).waitFor();
    await expectAccessible(page, 'the reset-mail confirmation');
    await screenshot(page, 'public-forgot-password-done');

    // An address with no account gets the very same answer.
    await page.getByRole('button', { name: 'try another address' }).click();
    const nobody = uniqueEmail('nobody');
    await page.getByLabel('Email', { exact: true }).fill(nobody);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByText(`If an account exists for ${nobody}, we sent it a link`).waitFor();

    const link = await mailedLink(user.email, '/reset-password');
    expect(link.pathname).toBe('/reset-password');
    const resets = countRequests(page, '/api/auth/reset-password');
    await page.goto(link.toString());
    await heading(page, 'Choose a new password');
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password', { exact: true }).fill(`${newPassword}-typo`);
    await page.getByRole('button', { name: 'Set new password' }).click();
    expect(await errorOf(page, 'Confirm new password')).toBe('The two passwords differ.');
    expect(resets(), 'a mismatch is caught before the API').toBe(0);
    await expectAccessible(page, 'the reset page with a mismatch');
    await screenshot(page, 'public-reset-password-mismatch');

    await page.getByLabel('Confirm new password', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await heading(page, 'Your password is changed');
    await page.getByText('every session, API key and app authorization').waitFor();
    await expectAccessible(page, 'the password-changed page');
    await screenshot(page, 'public-reset-password-done');

    expect(await signInStatus(user.email, newPassword)).toBe(200);
    expect(await signInStatus(user.email, PASSWORD)).toBe(401);
    expect((await user.client.get('/api/user/me')).status).toBe(401);

    // The link is spent: the page says so and leads to a new one.
    await page.goto(link.toString());
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await heading(page, 'This link does not work');
    await page.getByRole('link', { name: 'Request a new link' }).click();
    await heading(page, 'Reset your password');
    await session.close();
  });
});

describe('invitations', () => {
  async function invite(owner: { client: ApiClient; organizationId: string }, email: string) {
    const res = await owner.client.post(`/api/user/organizations/${owner.organizationId}/invites`, { email });
    expect(res.status).toBe(201);
    const link = await mailedLink(email, '/accept-invite');
    expect(link.pathname).toBe('/accept-invite');
    // Opened on the gateway: the console's page, whatever host the test stack mails.
    return `${link.pathname}${link.search}`;
  }

  async function organizationName(owner: { client: ApiClient; organizationId: string }): Promise<string> {
    const organizations = (await owner.client.get('/api/user/organizations')).body.data as Array<{
      id: string;
      name: string;
    }>;
    return organizations.find((org) => org.id === owner.organizationId)?.name ?? '';
  }

  it('signed out, the invitee is sent to sign in, comes back, accepts and lands in the organization', async () => {
    const owner = await verifiedUser(stack, 'Owen Owner');
    const invitee = await verifiedUser(stack, 'Ivy Invitee');
    const name = await organizationName(owner);
    const path = await invite(owner, invitee.email);

    const session = await openConsole(browser, stack);
    const { page } = session;
    await page.goto(path);
    await heading(page, 'You are invited');
    await expectAccessible(page, 'the invitation, signed out');
    await screenshot(page, 'public-accept-invite-signed-out');
    await page.getByRole('link', { name: 'Sign in to accept' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === path);
    await page.getByLabel('Email', { exact: true }).fill(invitee.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => `${url.pathname}${url.search}` === path);
    await page.getByText(`You are signed in as ${invitee.email}`).waitFor();
    await expectAccessible(page, 'the invitation, signed in');
    await screenshot(page, 'public-accept-invite-signed-in');
    await page.getByRole('button', { name: 'Accept invitation' }).click();

    await page.waitForURL((url) => url.pathname === `/orgs/${owner.organizationId}/projects`);
    await expect.poll(() => page.locator('#organization-switcher option:checked').textContent()).toBe(name);
    const joined = (await invitee.client.get('/api/user/organizations')).body.data as Array<{ id: string }>;
    expect(joined.map((org) => org.id)).toContain(owner.organizationId);

    // Used once: the same link now says it does not work.
    await page.goto(path);
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await heading(page, 'This invitation does not work');
    await expectAccessible(page, 'a used invitation');
    await session.close();
  });

  it('explains each refusal: another account, an unverified address', async () => {
    const owner = await verifiedUser(stack, 'Oona Owner');
    const invitee = await signedInUser(stack, 'Uma Unverified');
    const stranger = await signedInUser(stack, 'Stan Stranger');
    const path = await invite(owner, invitee.email);

    const session = await openConsole(browser, stack, { colorScheme: 'dark' });
    const { page } = session;
    await signInByForm(page, stranger.email, PASSWORD);
    await page.goto(path);
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.getByText('This invitation was sent to another email address').waitFor();
    await expectAccessible(page, 'an invitation for another account (dark)');
    await screenshot(page, 'public-accept-invite-wrong-account-dark');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/sign-in' && url.searchParams.get('next') === path);
    await page.getByLabel('Email', { exact: true }).fill(invitee.email);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => `${url.pathname}${url.search}` === path);

    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.getByText(`Verify ${invitee.email} first`).waitFor();
    await expectAccessible(page, 'an invitation for an unverified address (dark)');
    await screenshot(page, 'public-accept-invite-unverified-dark');
    await page.getByRole('button', { name: 'Send a new link' }).click();
    await page.getByText('a new link is on its way').waitFor();
    const pending = (await owner.client.get(`/api/user/organizations/${owner.organizationId}/invites`)).body.data;
    expect(pending.map((i: { email: string }) => i.email)).toContain(invitee.email);
    await session.close();
  });
});

describe('every public page', () => {
  const PAGES: Array<[string, string, string]> = [
    ['sign-in', '/sign-in', 'Sign in'],
    ['sign-up', '/sign-up', 'Create your account'],
    ['forgot-password', '/forgot-password', 'Reset your password'],
    ['reset-password', `/reset-password?token=${'a'.repeat(43)}`, 'Choose a new password'],
    ['verify-email-no-token', '/verify-email', 'This link does not work'],
    ['accept-invite', `/accept-invite?token=${'a'.repeat(43)}`, 'You are invited'],
  ];

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const width of [1280, 390]) {
      it(`is accessible and laid out, ${colorScheme} at ${width} px`, async () => {
        const session = await openConsole(browser, stack, { colorScheme, width });
        for (const [name, path, title] of PAGES) {
          await session.page.goto(path);
          await heading(session.page, title);
          await expectAccessible(session.page, `${name} (${colorScheme}, ${width} px)`);
          await screenshot(session.page, `public-${name}-${colorScheme}-${width}`);
        }
        await session.close();
      });
    }
  }
});
