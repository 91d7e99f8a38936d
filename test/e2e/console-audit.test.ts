import { AUDIT_ACTIONS } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_FAMILIES, ORGANIZATION_FAMILIES } from '../../services/console/web/src/pages/audit/families.js';
import { ApiClient } from '../support/client.js';
import {
  type ConsoleSession,
  expectAccessible,
  launchBrowser,
  openConsole,
  screenshot,
  signInByForm,
} from '../support/console.js';
import { PASSWORD, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

/**
 * The audit log, account activity and webhook screens, clicked through by an owner against the real stack
 * (the audit service included) and a real webhook receiver on loopback that verifies every signature.
 * What the screens show is checked against what the API holds.
 */
let stack: Stack;
let browser: Browser;
let owner: Awaited<ReturnType<typeof verifiedUser>>;
/** The owner's console, kept open from one step to the next. */
let session: ConsoleSession;
const receiver = new WebhookReceiver();
let receiverUrl: string;
const OWNER_NAME = 'Audrey Auditor';
const PROJECT = 'Ledger';

beforeAll(async () => {
  receiverUrl = await receiver.start();
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' },
    {},
    // The receiver is on loopback: private addresses allowed, as for local development.
    { audit: { WEBHOOK_ALLOW_PRIVATE_URLS: true } },
  );
  browser = await launchBrowser();
  owner = await verifiedUser(stack, OWNER_NAME);
  // A refused sign-in, for the activity page to highlight.
  const refused = await new ApiClient(stack.urls.gateway).post('/api/auth/sign-in/email', {
    email: owner.email,
    password: 'not-the-password',
  });
  expect(refused.status).toBe(401);
}, 120_000);

afterAll(async () => {
  await session?.context.close();
  await browser?.close();
  await stack?.close();
  await receiver.stop();
}, 120_000);

const log = () => `/api/user/organizations/${owner.organizationId}/audit-logs`;

/** Waits until the audit service has recorded an action (its consumer is asynchronous). */
function recorded(path: string, action: string) {
  return eventually(async () => {
    const answer = await owner.client.get(`${path}?action=${encodeURIComponent(action)}`);
    const found = answer.body.data?.find((record: { action: string }) => record.action === action);
    if (!found) throw new Error(`no ${action} record yet (${answer.status})`);
    return found;
  }, 30_000);
}

const rows = (page: Page) => page.getByTestId('audit-record');

/** No horizontal scrolling of the page itself at phone width (a table may scroll inside its box). */
async function expectNoPageOverflow(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

describe('the audit screens', { timeout: 90_000 }, () => {
  it("offer exactly the catalogue's action families", () => {
    const familiesOf = (log: 'organization' | 'account') =>
      [
        ...new Set(
          Object.entries(AUDIT_ACTIONS)
            .filter(([, spec]) => spec.log === log)
            .map(([action]) => action.split('.')[0]),
        ),
      ].sort();
    expect([...ORGANIZATION_FAMILIES].sort()).toEqual(familiesOf('organization'));
    expect([...ACCOUNT_FAMILIES].sort()).toEqual(familiesOf('account'));
  });

  it('an owner creates a project and finds it in the audit log, filtered, with its details and an intact chain', async () => {
    session = await openConsole(browser, stack);
    const { page } = session;
    await signInByForm(page, owner.email, PASSWORD);
    await page.goto(`/orgs/${owner.organizationId}/projects`);
    const form = page.getByRole('region', { name: 'New project' });
    await form.getByLabel('Name').fill(PROJECT);
    await form.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('link', { name: PROJECT, exact: true }).waitFor();
    const record = await recorded(log(), 'project.created');
    expect(record.actor.name).toBe(OWNER_NAME);

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    const created = rows(page).filter({ hasText: 'project.created' });
    await created.waitFor();
    await expect(created.textContent()).resolves.toContain(OWNER_NAME);
    await expect(created.textContent()).resolves.toContain(PROJECT);
    // Owners see every record, so no "your own actions" notice; newest first.
    expect(await page.getByText('You see the records of your own actions').count()).toBe(0);
    const listed = (await owner.client.get(`${log()}?limit=50`)).body.data as Array<{ action: string }>;
    await expect(rows(page).locator('.audit-action').allTextContents()).resolves.toEqual(
      listed.map((item) => item.action),
    );
    await expectAccessible(page, 'the audit log');
    await screenshot(page, 'audit-log-1280');

    // Filtered by the project family: in the URL, and only project records on the screen.
    await page.getByLabel('Action', { exact: true }).selectOption('project.*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('action')).toBe('project.*');
    await expect
      .poll(async () => (await rows(page).locator('.audit-action').allTextContents()).join(' '))
      .toBe('project.created');

    // Its details: the change, where it came from, its place in the chain.
    const details = page.getByRole('button', { name: `project.created #${record.sequence}: details` });
    await details.click();
    await expect(details.getAttribute('aria-expanded')).resolves.toBe('true');
    await expect(page.getByTestId('audit-hash').textContent()).resolves.toBe(record.hash);
    const opened = page.locator('.audit-details');
    for (const value of [record.id, record.requestId, record.userAgent, record.previousHash])
      if (value) await expect(opened.textContent()).resolves.toContain(value);
    await expectAccessible(page, 'a record opened');

    // The export link is the API's, with the same filters, and downloads with the session cookie.
    const csv = page.getByRole('link', { name: 'Export CSV' });
    const href = (await csv.getAttribute('href')) ?? '';
    expect(new URL(href, stack.urls.gateway).searchParams.get('action')).toBe('project.*');
    const exported = await page.request.get(href);
    expect(exported.status()).toBe(200);
    const text = await exported.text();
    expect(text).toContain('project.created');
    expect(text).not.toContain('member.added');

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText(/The chain is intact: \d+ records? checked/).waitFor();
  });

  it('an owner adds a webhook, sees its secret once, sends a test and sees it delivered', async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await page.getByText('No endpoints yet.').waitFor();
    await page.getByLabel('URL', { exact: true }).fill(receiverUrl);
    await page.getByLabel('Description (optional)').fill('Console e2e receiver');
    await expect(page.getByRole('checkbox', { name: 'Everything (*)' }).isChecked()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = (await page.getByTestId('secret-value').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    receiver.secrets = [secret];
    const hooks = await owner.client.get(`/api/user/organizations/${owner.organizationId}/webhooks`);
    expect(hooks.body.data).toHaveLength(1);
    expect(hooks.body.data[0]).toMatchObject({ url: receiverUrl, events: ['*'], description: 'Console e2e receiver' });
    expect(JSON.stringify(hooks.body)).not.toContain(secret);
    await page.getByTestId('webhook-row').filter({ hasText: receiverUrl }).waitFor();
    await expectAccessible(page, 'the webhooks page');
    await screenshot(page, 'webhooks-1280');

    // Shown once: the endpoint's own page never has it.
    await page.getByTestId('webhook-row').getByRole('link', { name: receiverUrl }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhook endpoint' }).waitFor();
    expect(await page.getByTestId('secret-value').count()).toBe(0);
    await expect(page.locator('main').textContent()).resolves.not.toContain(secret);

    await page.getByRole('button', { name: 'Send test' }).click();
    await page.getByText('Sent a webhook.test message').waitFor();
    const delivered = page.getByTestId('delivery-row').filter({ hasText: 'webhook.test' });
    // The log reads itself again while the delivery is pending.
    await delivered.getByText('Succeeded').waitFor({ timeout: 30_000 });
    await expect(delivered.textContent()).resolves.toMatch(/HTTP 204 in \d+ ms/);
    const test = await eventually(async () => {
      const message = receiver.messages.find((m) => m.type === 'webhook.test');
      if (!message) throw new Error('the receiver has no test message yet');
      return message;
    }, 10_000);
    await expectAccessible(page, 'an endpoint with its delivery log');
    await screenshot(page, 'webhook-1280');

    // Redelivered: the same message id again.
    await delivered.getByRole('button', { name: /^Redeliver webhook\.test/ }).click();
    await page.getByText('Sending webhook.test again').waitFor();
    await eventually(async () => {
      if (receiver.messages.filter((m) => m.id === test.id).length < 2) throw new Error('not redelivered yet');
    }, 30_000);
  });

  it('the account activity page lists the sign-in and highlights the refused one', async () => {
    await recorded('/api/user/me/audit-logs', 'session.created');
    await recorded('/api/user/me/audit-logs', 'sign_in.failed');
    const { page } = session;
    await page.getByRole('link', { name: 'Activity', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Activity' }).waitFor();
    const signIn = rows(page).filter({ hasText: 'session.created' }).first();
    await signIn.waitFor();
    await expect(signIn.getByText('Sign-in', { exact: true }).count()).resolves.toBe(1);
    const failed = rows(page).filter({ hasText: 'sign_in.failed' }).first();
    await failed.getByText('Failed', { exact: true }).waitFor();
    await expect(failed.getAttribute('class')).resolves.toContain('audit-row-failure');
    await failed.getByRole('button', { name: /^sign_in\.failed #\d+: details$/ }).click();
    await page.getByText('Failed (invalid_password)').waitFor();
    await expectAccessible(page, 'the account activity');
    await screenshot(page, 'account-activity-1280');
    await session.close();
  });

  it('fit a phone in the dark scheme', async () => {
    const phone = await openConsole(browser, stack, { colorScheme: 'dark', width: 390 });
    const { page } = phone;
    await signInByForm(page, owner.email, PASSWORD);
    const webhooks = (await owner.client.get(`/api/user/organizations/${owner.organizationId}/webhooks`)).body.data;
    for (const [name, path] of [
      ['audit-log', `/orgs/${owner.organizationId}/audit-log`],
      ['account-activity', '/account/activity'],
      ['webhooks', `/orgs/${owner.organizationId}/webhooks`],
      ['webhook', `/orgs/${owner.organizationId}/webhooks/${webhooks[0].id}`],
    ] as const) {
      await page.goto(path);
      await page.locator('main h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      await expectAccessible(page, `${name} (dark, 390 px)`);
      await expectNoPageOverflow(page);
      await screenshot(page, `${name}-dark-390`);
    }
    await phone.close();
  });
});
