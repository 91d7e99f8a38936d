import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ConsoleSession,
  expectAccessible,
  launchBrowser,
  openConsole,
  screenshot,
  signInByForm,
} from '../support/console.js';
import { mailedToken, PASSWORD, signedInUser, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * The console's project screens in headless Chromium against the real stack: the list (search,
 * sort, status, cursor pages, all kept in the URL), creating, editing with If-Match (a concurrent
 * change is a 412 the person sees and recovers from), deleting, and ids that are not ours.
 * What a click did is checked again through the API.
 */

type User = Awaited<ReturnType<typeof signedInUser>>;
interface ApiProject {
  id: string;
  name: string;
  slug: string;
  description: string | null;
  status: string;
}

// A browser, a sign-in through the form and many screens per test: more than the default 30 s on 2 cores.
vi.setConfig({ testTimeout: 90_000 });

let stack: Stack;
let browser: Browser;
/** Verified: only verified accounts invite (the member test needs a second person in). */
let owner: User;

beforeAll(async () => {
  stack = await startStack({
    RATE_LIMIT_SIGN_IN_MAX: '1000',
    RATE_LIMIT_SIGN_UP_MAX: '1000',
    RATE_LIMIT_EMAIL_MAX: '1000',
  });
  owner = await verifiedUser(stack, 'Olive Owner');
  browser = await launchBrowser();
}, 90_000);

// Closing the whole stack takes long when other suites share the 2 cores.
afterAll(async () => {
  await browser?.close();
  await stack?.close();
}, 120_000);

const projectsPath = (organizationId: string) => `/api/user/organizations/${organizationId}/projects`;

async function newOrganization(user: User, name: string): Promise<string> {
  const created = await user.client.post('/api/user/organizations', { name });
  expect(created.status).toBe(201);
  return created.body.data.id;
}

async function createProject(
  user: User,
  organizationId: string,
  body: { name: string; status?: string; description?: string },
): Promise<ApiProject> {
  const created = await user.client.post(projectsPath(organizationId), body);
  expect(created.status).toBe(201);
  return created.body.data;
}

async function readProject(user: User, organizationId: string, projectId: string) {
  const read = await user.client.get(`${projectsPath(organizationId)}/${projectId}`);
  return { status: read.status, project: read.body?.data as ApiProject, etag: read.headers.get('etag') };
}

/** A console session signed in as `user` through the sign-in form. */
async function signedInConsole(
  user: User,
  options: { colorScheme?: 'light' | 'dark'; width?: number } = {},
): Promise<ConsoleSession> {
  const session = await openConsole(browser, stack, options);
  await signInByForm(session.page, user.email, PASSWORD);
  return session;
}

/** The project names in the table, top to bottom. */
function rowNames(page: Page): Promise<string[]> {
  return page.locator('table tbody tr td:first-child a').allTextContents();
}

async function expectRows(page: Page, names: string[]): Promise<void> {
  await expect.poll(() => rowNames(page), { timeout: 10_000 }).toEqual(names);
}

describe('console: projects list', () => {
  let organizationId: string;
  const byCreation = ['Apollo', 'Artemis', 'Gemini', 'Mercury', 'Voyager'];

  beforeAll(async () => {
    organizationId = await newOrganization(owner, 'Space Programs');
    const statuses: Record<string, string> = {
      Apollo: 'active',
      Artemis: 'paused',
      Gemini: 'active',
      Mercury: 'draft',
      Voyager: 'draft',
    };
    // One after the other: "Newest first" is then a known order.
    for (const name of byCreation) await createProject(owner, organizationId, { name, status: statuses[name] });
  });

  it('searches, sorts and filters; the URL keeps the list across a reload', async () => {
    const session = await signedInConsole(owner);
    const { page } = session;
    await page.goto(`/orgs/${organizationId}/projects`);
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    await expectRows(page, [...byCreation].reverse());
    await expect.poll(() => page.getByTestId('project-count').textContent()).toBe('5 projects');
    const filters = page.getByRole('search', { name: 'Projects' });
    const table = page.getByRole('table');
    await expect
      .poll(() => table.locator('th[scope="col"]').allTextContents())
      .toEqual(['Name', 'Status', 'Updated', 'Actions']);
    // The status is said in words, not by colour alone.
    expect(await table.getByRole('row', { name: /Artemis/ }).textContent()).toContain('Paused');

    await filters.getByLabel('Sort').selectOption({ label: 'Name, A to Z' });
    await expectRows(page, byCreation);
    expect(new URL(page.url()).searchParams.get('sort')).toBe('name');
    await filters.getByLabel('Sort').selectOption({ label: 'Name, Z to A' });
    await expectRows(page, [...byCreation].reverse());

    // Typing searches once the person pauses; "er" is in Mercury and Voyager only.
    await filters.getByLabel('Search').pressSequentially('er', { delay: 50 });
    await expectRows(page, ['Voyager', 'Mercury']);
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('er');
    await expect.poll(() => page.getByTestId('project-count').textContent()).toBe('2 projects match');

    await page.reload();
    await expectRows(page, ['Voyager', 'Mercury']);
    expect(await filters.getByLabel('Search').inputValue()).toBe('er');
    expect(await filters.getByLabel('Sort').inputValue()).toBe('-name');

    await filters.getByLabel('Status').selectOption({ label: 'Paused' });
    await page.getByText('No project matches these filters.').waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('paused');
    await expectAccessible(page, 'the projects list with no match');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expectRows(page, [...byCreation].reverse());
    expect(await filters.getByLabel('Search').inputValue()).toBe('');
    expect(await filters.getByLabel('Sort').inputValue()).toBe('-name');

    await filters.getByLabel('Status').selectOption({ label: 'Active' });
    await expectRows(page, ['Gemini', 'Apollo']);
    // Enter searches at once, without waiting for the pause.
    await filters.getByLabel('Search').fill('gem');
    await filters.getByLabel('Search').press('Enter');
    await expectRows(page, ['Gemini']);
    expect(new URL(page.url()).searchParams.toString()).toBe('sort=-name&status=active&q=gem');

    await filters.getByLabel('Search').fill('');
    await filters.getByLabel('Status').selectOption({ label: 'Any status' });
    await expectRows(page, [...byCreation].reverse());
    await expectAccessible(page, 'the projects list');
    await screenshot(page, 'projects-list');
    await session.close();
  });

  it('walks every project exactly once by cursor pages (?limit=2) and starts again at page 1 on a new sort', async () => {
    const session = await signedInConsole(owner);
    const { page } = session;
    await page.goto(`/orgs/${organizationId}/projects?sort=name&limit=2`);
    const pager = page.getByRole('navigation', { name: 'Pages' });
    const next = pager.getByRole('button', { name: 'Next' });
    const previous = pager.getByRole('button', { name: 'Previous' });

    await expectRows(page, ['Apollo', 'Artemis']);
    expect(await previous.isDisabled()).toBe(true);
    const seen = [...(await rowNames(page))];
    await next.click();
    await expectRows(page, ['Gemini', 'Mercury']);
    expect(await pager.textContent()).toContain('Page 2');
    seen.push(...(await rowNames(page)));
    await next.click();
    await expectRows(page, ['Voyager']);
    seen.push(...(await rowNames(page)));
    expect(await next.isDisabled()).toBe(true);
    expect(seen).toEqual(byCreation);

    const api = await owner.client.get(`${projectsPath(organizationId)}?sort=name&limit=100`);
    expect(api.body.data.map((project: ApiProject) => project.name)).toEqual(seen);

    await previous.click();
    await expectRows(page, ['Gemini', 'Mercury']);
    await previous.click();
    await expectRows(page, ['Apollo', 'Artemis']);

    await next.click();
    await expectRows(page, ['Gemini', 'Mercury']);
    await page.getByRole('search').getByLabel('Sort').selectOption({ label: 'Name, Z to A' });
    await expectRows(page, ['Voyager', 'Mercury']);
    expect(await pager.textContent()).toContain('Page 1');
    await screenshot(page, 'projects-list-paged');
    await session.close();
  });

  it('looks right in the dark at 390 px', async () => {
    const session = await signedInConsole(owner, { colorScheme: 'dark', width: 390 });
    const { page } = session;
    await page.goto(`/orgs/${organizationId}/projects`);
    await expectRows(page, [...byCreation].reverse());
    await expectAccessible(page, 'the projects list, dark, 390 px');
    await screenshot(page, 'projects-list-dark-390');
    await page.getByRole('link', { name: 'Gemini' }).click();
    await page.getByRole('heading', { name: 'Gemini', level: 1 }).waitFor();
    await expectAccessible(page, 'a project, dark, 390 px');
    await screenshot(page, 'projects-project-dark-390');
    await session.close();
  });
});

describe('console: creating a project', () => {
  it('shows an invalid name next to the field, then creates by clicking; a taken slug is shown on the slug', async () => {
    const organizationId = await newOrganization(owner, 'Fresh Start');
    const session = await signedInConsole(owner, { width: 390 });
    const { page } = session;
    await page.goto(`/orgs/${organizationId}/projects`);
    await page.getByText('No projects yet.').waitFor();
    const form = page.getByRole('region', { name: 'New project' });

    await form.getByLabel('Name').fill('   ');
    await form.getByRole('button', { name: 'Create project' }).click();
    const name = form.getByLabel('Name');
    await expect.poll(() => name.getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByText('Enter a name of 1 to 100 characters, not only spaces.').isVisible()).toBe(true);
    // The error is tied to the input, and the input has the focus.
    expect(await name.evaluate((input) => input === document.activeElement)).toBe(true);
    expect(await name.getAttribute('aria-describedby')).toMatch(/-error$/);
    await expectAccessible(page, 'the new project form with an error');
    await screenshot(page, 'projects-create-error-390');
    expect((await owner.client.get(projectsPath(organizationId))).body.data).toEqual([]);

    await name.fill('Launch Pad');
    await form.getByLabel('Description').fill('Countdown tooling');
    await form.getByLabel('Status').selectOption({ label: 'Active' });
    await form.getByRole('button', { name: 'Create project' }).click();
    await form.getByText('Created project “Launch Pad”.').waitFor();
    expect(await form.getByRole('link', { name: 'Open Launch Pad' }).isVisible()).toBe(true);
    await expectRows(page, ['Launch Pad']);
    expect(await name.inputValue()).toBe('');
    const [created] = (await owner.client.get(projectsPath(organizationId))).body.data as ApiProject[];
    expect(created).toMatchObject({
      name: 'Launch Pad',
      slug: 'launch-pad',
      description: 'Countdown tooling',
      status: 'active',
    });

    await name.fill('Launch Pad Two');
    await form.getByLabel('Slug').fill('launch-pad');
    await form.getByRole('button', { name: 'Create project' }).click();
    const slug = form.getByLabel('Slug');
    await expect.poll(() => slug.getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByText('Another project of this organization has this slug.').isVisible()).toBe(true);
    expect((await owner.client.get(projectsPath(organizationId))).body.data).toHaveLength(1);

    await page.getByRole('table').getByRole('link', { name: 'Launch Pad' }).click();
    await page.getByRole('heading', { name: 'Launch Pad', level: 1 }).waitFor();
    await session.close();
  });
});

describe('console: editing a project', () => {
  it('refuses a save made on an old version (412), shows the latest, and saves the person’s changes on the second try', async () => {
    const organizationId = await newOrganization(owner, 'Contended Org');
    const project = await createProject(owner, organizationId, { name: 'Orbiter', description: 'First draft' });
    const session = await signedInConsole(owner);
    const { page } = session;
    await page.goto(`/orgs/${organizationId}/projects/${project.id}`);
    await page.getByRole('heading', { name: 'Orbiter', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'Edit Orbiter' });
    await expectAccessible(page, 'a project');
    await screenshot(page, 'projects-project');

    await form.getByLabel('Name').fill('Orbiter Two');
    await form.getByLabel('Status').selectOption({ label: 'Paused' });

    // Meanwhile, someone else saves a change through the API, with the ETag they read.
    const before = await readProject(owner, organizationId, project.id);
    expect(before.etag).toBe('W/"1"');
    const elsewhere = await owner.client.put(
      `${projectsPath(organizationId)}/${project.id}`,
      { description: 'Changed elsewhere' },
      { 'if-match': before.etag! },
    );
    expect(elsewhere.status).toBe(200);

    await form.getByRole('button', { name: 'Save changes' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'This project was changed by someone else' });
    await alert.waitFor();
    // The form holds the latest saved version; the refused changes are listed, not lost.
    await expect.poll(() => form.getByLabel('Description').inputValue()).toBe('Changed elsewhere');
    expect(await form.getByLabel('Name').inputValue()).toBe('Orbiter');
    expect(await form.getByLabel('Status').inputValue()).toBe('draft');
    const unsaved = await page.getByTestId('unsaved-changes').textContent();
    expect(unsaved).toContain('“Orbiter Two”');
    expect(unsaved).toContain('Paused');
    expect(unsaved).not.toContain('Description');
    expect((await readProject(owner, organizationId, project.id)).project).toMatchObject({
      name: 'Orbiter',
      status: 'draft',
      description: 'Changed elsewhere',
    });
    await expectAccessible(page, 'a project after a refused save');
    await screenshot(page, 'projects-conflict');

    await page.getByRole('button', { name: 'Put my changes back in the form' }).click();
    expect(await form.getByLabel('Name').inputValue()).toBe('Orbiter Two');
    expect(await form.getByLabel('Status').inputValue()).toBe('paused');
    expect(await form.getByLabel('Description').inputValue()).toBe('Changed elsewhere');
    expect(await alert.count()).toBe(0);

    await form.getByRole('button', { name: 'Save changes' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Saved at/ })
      .waitFor();
    await page.getByRole('heading', { name: 'Orbiter Two', level: 1 }).waitFor();
    const after = await readProject(owner, organizationId, project.id);
    expect(after.project).toMatchObject({ name: 'Orbiter Two', status: 'paused', description: 'Changed elsewhere' });
    expect(after.etag).toBe('W/"3"');

    // The new version is the form's base now: a further change saves without a conflict.
    await page.getByRole('form', { name: 'Edit Orbiter Two' }).getByLabel('Description').fill('');
    await page.getByRole('form', { name: 'Edit Orbiter Two' }).getByRole('button', { name: 'Save changes' }).click();
    await expect
      .poll(async () => (await readProject(owner, organizationId, project.id)).project.description)
      .toBeNull();
    await session.close();
  });
});

describe('console: deleting a project', () => {
  it('deletes by clicking as an owner; a plain member sees no Delete', async () => {
    const organizationId = await newOrganization(owner, 'Tidy Org');
    const doomed = await createProject(owner, organizationId, { name: 'Doomed' });
    const survivor = await createProject(owner, organizationId, { name: 'Survivor' });

    const session = await signedInConsole(owner);
    const { page } = session;
    await page.goto(`/orgs/${organizationId}/projects`);
    await expectRows(page, ['Survivor', 'Doomed']);
    expect(await page.getByRole('button', { name: 'Delete project Survivor' }).isVisible()).toBe(true);
    await page.getByRole('link', { name: 'Doomed' }).click();
    await page.getByRole('heading', { name: 'Doomed', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete project Doomed' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete project “Doomed”?' });
    await dialog.waitFor();
    await screenshot(page, 'projects-delete-dialog');
    await dialog.getByRole('button', { name: 'Delete project', exact: true }).click();
    await page.getByText('Deleted project “Doomed”.').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/orgs/${organizationId}/projects`);
    await expectRows(page, ['Survivor']);
    expect((await readProject(owner, organizationId, doomed.id)).status).toBe(404);
    await session.close();

    const member = await verifiedUser(stack, 'Mo Member');
    const invite = await owner.client.post(`/api/user/organizations/${organizationId}/invites`, {
      email: member.email,
      role: 'member',
    });
    expect(invite.status).toBe(201);
    const token = await mailedToken(stack, member.email, '/accept-invite');
    expect((await member.client.post(`/api/user/invites/${token}/accept`)).status).toBe(200);

    const memberSession = await signedInConsole(member);
    const memberPage = memberSession.page;
    await memberPage.goto(`/orgs/${organizationId}/projects`);
    await expectRows(memberPage, ['Survivor']);
    expect(await memberPage.getByRole('button', { name: /delete/i }).count()).toBe(0);
    await memberPage.getByRole('link', { name: 'Survivor' }).click();
    await memberPage.getByRole('heading', { name: 'Survivor', level: 1 }).waitFor();
    await memberPage.getByRole('button', { name: 'Save changes' }).waitFor();
    expect(await memberPage.getByRole('button', { name: /delete/i }).count()).toBe(0);
    // The API agrees: a member may not delete.
    const refused = await member.client.delete(`${projectsPath(organizationId)}/${survivor.id}`);
    expect(refused.status).toBe(403);
    await memberSession.close();
  });
});

describe('console: ids that are not ours', () => {
  it('shows another organization’s project as not found, and nothing of it', async () => {
    const stranger = await signedInUser(stack, 'Sam Stranger');
    const secret = await createProject(stranger, stranger.organizationId, {
      name: 'Classified Stranger Plans',
      description: 'nobody else may read this',
    });
    const session = await signedInConsole(owner);
    const { page } = session;
    const paths = [
      `/orgs/${owner.organizationId}/projects/${secret.id}`,
      `/orgs/${stranger.organizationId}/projects/${secret.id}`,
      `/orgs/${owner.organizationId}/projects/not-an-id`,
    ];
    for (const path of paths) {
      await page.goto(path);
      await page.getByRole('heading', { name: 'Project not found', level: 1 }).waitFor();
      const text = (await page.locator('main').textContent()) ?? '';
      expect(text).not.toContain('Classified');
      expect(text).not.toContain('nobody else');
    }
    await expectAccessible(page, 'a project that is not found');
    await screenshot(page, 'projects-not-found');
    await page.getByRole('link', { name: 'Back to the projects' }).click();
    await page.getByRole('heading', { name: 'Projects', level: 1 }).waitFor();
    await session.close();
  });
});
