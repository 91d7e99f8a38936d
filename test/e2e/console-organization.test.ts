import { eventually } from '@gatehouse/service-kit/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/client.js';
import { expectAccessible, launchBrowser, openConsole, screenshot, signInByForm } from '../support/console.js';
import { mailedToken, PASSWORD, signedInUser, uniqueEmail, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The organization screens in headless Chromium against the real stack: creating, renaming and
 * deleting an organization, and its people (invitations mailed and accepted, roles, removal), each
 * click checked again through the API.
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
});

type User = Awaited<ReturnType<typeof signedInUser>>;

async function organizationOf(user: User) {
  const res = await user.client.get(`/api/user/organizations/${user.organizationId}`);
  expect(res.status).toBe(200);
  return res.body.data as { id: string; name: string; slug: string };
}

async function membersOf(client: ApiClient, organizationId: string) {
  const res = await client.get(`/api/user/organizations/${organizationId}/members?limit=100`);
  expect(res.status).toBe(200);
  return res.body.data as Array<{ id: string; userId: string; role: string; email: string | null }>;
}

async function pendingInvites(client: ApiClient, organizationId: string) {
  const res = await client.get(`/api/user/organizations/${organizationId}/invites?limit=100`);
  expect(res.status).toBe(200);
  return res.body.data as Array<{ id: string; email: string; role: string }>;
}

/** Joins `guest` to `owner`'s organization through the API (invite, mailed token, accept). */
async function joinByApi(owner: User, guest: User, role = 'member') {
  const invited = await owner.client.post(`/api/user/organizations/${owner.organizationId}/invites`, {
    email: guest.email,
    role,
  });
  expect(invited.status).toBe(201);
  const token = await mailedToken(stack, guest.email, '/accept-invite');
  expect((await guest.client.post(`/api/user/invites/${token}/accept`)).status).toBe(200);
}

/** The newest invitation token mailed to this address that differs from `other`. */
function newerInviteToken(email: string, other?: string): Promise<string> {
  return eventually(async () => {
    const link = stack.smtp.linkTo(email, '/accept-invite');
    const token = link ? new URL(link).searchParams.get('token') : null;
    if (!token || token === other) throw new Error('no new invitation mail yet');
    return token;
  });
}

async function openMembers(page: Page, organizationId: string) {
  await page.goto(`/orgs/${organizationId}/members`);
  await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
  await page.getByRole('table', { name: /^Members of/ }).waitFor();
}

describe('organization members and invitations', () => {
  it('invites by click; the invitee accepts the mailed link; a role change shows in their console', async () => {
    const owner = await verifiedUser(stack, 'Olivia Owner');
    const guest = await verifiedUser(stack, 'Gabriel Guest');
    const organization = await organizationOf(owner);

    const ownerSession = await openConsole(browser, stack);
    const ownerPage = ownerSession.page;
    await signInByForm(ownerPage, owner.email, PASSWORD);
    await openMembers(ownerPage, owner.organizationId);
    await ownerPage.getByLabel('Email', { exact: true }).fill(guest.email);
    await ownerPage.getByLabel('Role', { exact: true }).selectOption('member');
    await ownerPage.getByRole('button', { name: 'Send invitation' }).click();
    await ownerPage.getByText(`Invitation sent to ${guest.email}.`).waitFor();
    await ownerPage.getByRole('button', { name: `Resend invitation to ${guest.email}` }).waitFor();
    expect((await pendingInvites(owner.client, owner.organizationId)).map((invite) => invite.email)).toEqual([
      guest.email,
    ]);
    await expectAccessible(ownerPage, 'the members screen of an owner, with a pending invitation');
    await screenshot(ownerPage, 'organization-members-owner-1280');

    // The invitee, in a browser of their own, follows the mailed link.
    const guestSession = await openConsole(browser, stack);
    const guestPage = guestSession.page;
    await signInByForm(guestPage, guest.email, PASSWORD);
    const link = await eventually(async () => {
      const found = stack.smtp.linkTo(guest.email, '/accept-invite');
      if (!found) throw new Error('no invitation mail yet');
      return found;
    });
    const url = new URL(link);
    await guestPage.goto(url.pathname + url.search);
    await guestPage.getByRole('button', { name: 'Accept invitation' }).click();
    await eventually(async () => {
      const res = await guest.client.get(`/api/user/organizations/${owner.organizationId}/my-membership`);
      if (res.status !== 200) throw new Error(`not a member yet (${res.status})`);
    });

    // As a plain member: the organization in the switcher, the people, but no invitation, role or
    // removal controls; settings read-only.
    await guestPage.goto(`/orgs/${owner.organizationId}/settings`);
    await guestPage
      .getByLabel('Organization', { exact: true })
      .locator('option', { hasText: organization.name })
      .waitFor({ state: 'attached' });
    await expect(guestPage.getByTestId('my-role').textContent()).resolves.toBe('Member');
    await expect(guestPage.getByRole('button', { name: 'Save changes' }).count()).resolves.toBe(0);
    await expect(guestPage.getByRole('button', { name: /^Delete organization/ }).count()).resolves.toBe(0);
    await guestPage.getByText(organization.slug, { exact: true }).waitFor();
    await expectAccessible(guestPage, 'the settings screen of a member');
    await guestPage.getByRole('link', { name: 'Members', exact: true }).click();
    await guestPage.getByRole('table', { name: /^Members of/ }).waitFor();
    await guestPage.getByRole('cell', { name: owner.email }).waitFor();
    await expect(guestPage.getByRole('button', { name: 'Send invitation' }).count()).resolves.toBe(0);
    await expect(guestPage.getByRole('combobox', { name: /^Role of/ }).count()).resolves.toBe(0);
    await expect(guestPage.getByRole('button', { name: /^Remove / }).count()).resolves.toBe(0);
    await guestPage.getByRole('button', { name: `Leave ${organization.name}` }).waitFor();
    await expectAccessible(guestPage, 'the members screen of a member');
    await screenshot(guestPage, 'organization-members-member-1280');

    // The owner makes them an admin from the members table.
    await ownerPage.reload();
    await ownerPage.getByRole('combobox', { name: 'Role of Gabriel Guest' }).selectOption('admin');
    await ownerPage.getByRole('button', { name: 'Save role of Gabriel Guest' }).click();
    await ownerPage.getByText('Gabriel Guest is now admin.').waitFor();
    const members = await membersOf(owner.client, owner.organizationId);
    expect(members.find((member) => member.userId === guest.userId)?.role).toBe('admin');
    expect(await pendingInvites(owner.client, owner.organizationId)).toEqual([]);

    // Their console shows the new role once it reads it again, and the manager's controls with it.
    await guestPage.goto(`/orgs/${owner.organizationId}/settings`);
    await expect(guestPage.getByTestId('my-role').textContent()).resolves.toBe('Admin');
    await guestPage.getByRole('button', { name: 'Save changes' }).waitFor();
    await expect(guestPage.getByRole('button', { name: /^Delete organization/ }).count()).resolves.toBe(0);
    await guestPage.getByRole('link', { name: 'Members', exact: true }).click();
    await guestPage.getByRole('button', { name: 'Send invitation' }).waitFor();
    await guestPage.getByRole('combobox', { name: 'Role of Gabriel Guest' }).waitFor();
    // An admin neither changes nor removes an owner.
    await expect(guestPage.getByRole('combobox', { name: 'Role of Olivia Owner' }).count()).resolves.toBe(0);
    await expect(guestPage.getByRole('button', { name: 'Remove Olivia Owner' }).count()).resolves.toBe(0);

    await guestSession.close();
    await ownerSession.close();
  }, 120_000);

  it('removes a member, who then has no access to the organization', async () => {
    const owner = await verifiedUser(stack, 'Rhea Remover');
    const member = await verifiedUser(stack, 'Milo Removed');
    await joinByApi(owner, member);
    const organization = await organizationOf(owner);
    expect((await member.client.get(`/api/user/organizations/${owner.organizationId}`)).status).toBe(200);

    const session = await openConsole(browser, stack);
    const { page } = session;
    await signInByForm(page, owner.email, PASSWORD);
    await openMembers(page, owner.organizationId);
    await page.getByRole('button', { name: 'Remove Milo Removed' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove Milo Removed?' });
    await expectAccessible(page, 'the remove-member dialog');
    await dialog.getByRole('button', { name: 'Remove member' }).click();
    await page.getByText(`Milo Removed was removed from ${organization.name}.`).waitFor();
    await page.getByRole('cell', { name: member.email }).waitFor({ state: 'detached' });

    expect((await membersOf(owner.client, owner.organizationId)).map((m) => m.userId)).toEqual([owner.userId]);
    const lost = await member.client.get(`/api/user/organizations/${owner.organizationId}/projects`);
    expect([403, 404]).toContain(lost.status);
    expect((await member.client.get(`/api/user/organizations/${owner.organizationId}`)).status).toBe(404);
    await session.close();
  }, 120_000);

  it('resends an invitation (the old link stops working) and revokes it (its link stops working too)', async () => {
    const owner = await verifiedUser(stack, 'Ivy Inviter');
    const invitee = await verifiedUser(stack, 'Ned Notyet');
    const invited = await owner.client.post(`/api/user/organizations/${owner.organizationId}/invites`, {
      email: invitee.email,
    });
    expect(invited.status).toBe(201);
    const firstToken = await newerInviteToken(invitee.email);

    const session = await openConsole(browser, stack);
    const { page } = session;
    await signInByForm(page, owner.email, PASSWORD);
    await openMembers(page, owner.organizationId);
    await page.getByRole('button', { name: `Resend invitation to ${invitee.email}` }).click();
    await page.getByText(`The invitation to ${invitee.email} was sent again.`, { exact: false }).waitFor();
    const secondToken = await newerInviteToken(invitee.email, firstToken);
    const stale = await invitee.client.post(`/api/user/invites/${firstToken}/accept`);
    expect(stale.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');

    await page.getByRole('button', { name: `Revoke invitation to ${invitee.email}` }).click();
    await page
      .getByRole('dialog', { name: `Revoke the invitation to ${invitee.email}?` })
      .getByRole('button', { name: 'Revoke invitation' })
      .click();
    await page.getByText(`The invitation to ${invitee.email} was revoked.`, { exact: false }).waitFor();
    await page.getByText('No pending invitations.').waitFor();
    expect(await pendingInvites(owner.client, owner.organizationId)).toEqual([]);
    const revoked = await invitee.client.post(`/api/user/invites/${secondToken}/accept`);
    expect(revoked.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
    expect((await invitee.client.get(`/api/user/organizations/${owner.organizationId}`)).status).toBe(404);
    await screenshot(page, 'organization-invitations-empty-1280');
    await session.close();
  }, 120_000);

  it('keeps the last owner (the API refusal shown) and tells an unverified owner where to verify', async () => {
    const owner = await verifiedUser(stack, 'Lena Last');
    const organization = await organizationOf(owner);
    const session = await openConsole(browser, stack, { colorScheme: 'dark' });
    const { page } = session;
    await signInByForm(page, owner.email, PASSWORD);
    await openMembers(page, owner.organizationId);

    const myRole = page.getByRole('combobox', { name: 'Role of Lena Last' });
    await myRole.selectOption('admin');
    await page.getByRole('button', { name: 'Save role of Lena Last' }).click();
    await page.getByRole('alert').getByText('An organization must keep at least one owner').waitFor();
    await expect(myRole.inputValue()).resolves.toBe('owner');

    await page.getByRole('button', { name: `Leave ${organization.name}` }).click();
    await page
      .getByRole('dialog', { name: `Leave ${organization.name}?` })
      .getByRole('button', { name: 'Leave organization' })
      .click();
    await page.getByRole('alert').getByText('An organization must keep at least one owner').waitFor();
    expect(page.url()).toContain(`/orgs/${owner.organizationId}/members`);
    const members = await membersOf(owner.client, owner.organizationId);
    expect(members.map((m) => [m.userId, m.role])).toEqual([[owner.userId, 'owner']]);
    await expectAccessible(page, 'the members screen in dark, with a refusal shown');
    await screenshot(page, 'organization-members-last-owner-dark-1280');
    await session.close();

    // An account whose address is unverified may not invite: the API says so, the console says where to go.
    const unverified = await signedInUser(stack, 'Uma Unverified');
    const second = await openConsole(browser, stack);
    await signInByForm(second.page, unverified.email, PASSWORD);
    await openMembers(second.page, unverified.organizationId);
    await second.page.getByLabel('Email', { exact: true }).fill(uniqueEmail('friend'));
    await second.page.getByRole('button', { name: 'Send invitation' }).click();
    const refusal = second.page.getByRole('alert').filter({ hasText: 'Verify your email address before' });
    await refusal.waitFor();
    await expect(
      refusal.getByRole('link', { name: 'Verify your email address on your profile' }).getAttribute('href'),
    ).resolves.toBe('/account');
    expect(await pendingInvites(unverified.client, unverified.organizationId)).toEqual([]);
    await expectAccessible(second.page, 'the members screen with the unverified refusal');
    await second.close();
  }, 120_000);
});

describe('organization lifecycle', () => {
  it('creates an organization from the switcher, renames it in settings and deletes it', async () => {
    const owner = await signedInUser(stack, 'Cora Creator');
    const personal = await organizationOf(owner);
    const session = await openConsole(browser, stack);
    const { page } = session;
    await signInByForm(page, owner.email, PASSWORD);
    await page.getByLabel('Organization', { exact: true }).selectOption({ label: '+ New organization' });
    // Choosing alone moves nowhere (a keyboard user steps through the options); Open does.
    await expect(page.waitForURL(/\/orgs\/new$/, { timeout: 500 })).rejects.toThrow();
    await page.getByRole('button', { name: 'Open the chosen organization' }).click();
    await page.waitForURL(/\/orgs\/new$/);
    await page.getByRole('heading', { level: 1, name: 'New organization' }).waitFor();
    await expectAccessible(page, 'the new-organization screen');
    await screenshot(page, 'organization-new-1280');

    // A slug someone holds is refused next to the slug input.
    await page.getByLabel('Name', { exact: true }).fill('Acme Rockets');
    await page.getByLabel('Slug (optional)').fill(personal.slug);
    await page.getByRole('button', { name: 'Create organization' }).click();
    const slugInput = page.getByLabel('Slug (optional)');
    await page.getByText('This slug is taken').waitFor();
    await expect(slugInput.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(slugInput.getAttribute('aria-describedby')).resolves.toContain('-error');

    await slugInput.fill('');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.waitForURL(/\/orgs\/[0-9A-Z]{26}\/projects$/);
    const createdId = new URL(page.url()).pathname.split('/')[2] ?? '';
    const listed = await owner.client.get('/api/user/organizations');
    const created = (listed.body.data as Array<{ id: string; name: string; role: string; slug: string }>).find(
      (org) => org.id === createdId,
    );
    expect(created).toMatchObject({ name: 'Acme Rockets', role: 'owner' });
    // The URL changes first; the switcher follows when the new screen renders (a transition).
    await expect.poll(() => page.getByLabel('Organization', { exact: true }).inputValue()).toBe(createdId);

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Organization settings' }).waitFor();
    await expect(page.getByLabel('Slug').inputValue()).resolves.toBe(created?.slug);
    await expect(page.getByTestId('my-role').textContent()).resolves.toBe('Owner');
    const slug = `acme-rocketry-${Date.now().toString(36)}`;
    await page.getByLabel('Name', { exact: true }).fill('Acme Rocketry');
    await page.getByLabel('Slug').fill(slug);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Organization saved.').waitFor();
    const renamed = await owner.client.get(`/api/user/organizations/${createdId}`);
    expect(renamed.body.data).toMatchObject({ name: 'Acme Rocketry', slug });
    await page
      .getByLabel('Organization', { exact: true })
      .locator('option', { hasText: 'Acme Rocketry' })
      .waitFor({ state: 'attached' });
    await expectAccessible(page, 'the settings screen of an owner');
    await screenshot(page, 'organization-settings-1280');

    await page.getByRole('button', { name: 'Delete organization Acme Rocketry' }).click();
    await page
      .getByRole('dialog', { name: 'Delete Acme Rocketry?' })
      .getByRole('button', { name: 'Delete organization' })
      .click();
    await page.waitForURL(new RegExp(`/orgs/${owner.organizationId}/projects$`));
    expect((await owner.client.get(`/api/user/organizations/${createdId}`)).status).toBe(404);
    await expect(
      page.getByLabel('Organization', { exact: true }).locator('option', { hasText: 'Acme Rocketry' }).count(),
    ).resolves.toBe(0);
    await session.close();
  }, 120_000);

  it('lays the screens out at 390 px, in light and dark', async () => {
    const owner = await verifiedUser(stack, 'Nia Narrow');
    const member = await verifiedUser(stack, 'Theo Teammate');
    await joinByApi(owner, member);
    const pending = uniqueEmail('pending');
    expect(
      (await owner.client.post(`/api/user/organizations/${owner.organizationId}/invites`, { email: pending })).status,
    ).toBe(201);
    for (const colorScheme of ['light', 'dark'] as const) {
      const session = await openConsole(browser, stack, { colorScheme, width: 390 });
      const { page } = session;
      await signInByForm(page, owner.email, PASSWORD);
      await openMembers(page, owner.organizationId);
      await page.getByRole('button', { name: `Resend invitation to ${pending}` }).waitFor();
      await expectAccessible(page, `the members screen at 390 px (${colorScheme})`);
      await screenshot(page, `organization-members-${colorScheme}-390`);
      await page.goto(`/orgs/${owner.organizationId}/settings`);
      await page.getByTestId('my-role').waitFor();
      await expectAccessible(page, `the settings screen at 390 px (${colorScheme})`);
      await screenshot(page, `organization-settings-${colorScheme}-390`);
      await page.goto('/orgs/new');
      await page.getByRole('heading', { level: 1, name: 'New organization' }).waitFor();
      await expectAccessible(page, `the new-organization screen at 390 px (${colorScheme})`);
      await screenshot(page, `organization-new-${colorScheme}-390`);
      await session.close();
    }
  }, 120_000);
});
