import { eventually } from '@gatehouse/service-kit/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectAccessible, launchBrowser, openConsole, screenshot, signInByForm } from '../support/console.js';
import { PASSWORD, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';
import { type FakeStripe, startFakeStripe } from '../support/stripe-server.js';

/**
 * The console's billing page in headless Chromium against the real stack, billing on the fake Stripe:
 * an organization starts on Free, an owner picks Pro monthly with 2 seats, pays on (fake) Stripe
 * Checkout, whose webhook deliveries the test hands to the gateway as Stripe would, and comes back
 * to the page on Pro. The billing profile's field errors show at their inputs.
 */

type User = Awaited<ReturnType<typeof verifiedUser>>;

// A browser, a sign-in through the form and a trip to Stripe and back: more than the default 30 s on 2 cores.
vi.setConfig({ testTimeout: 120_000 });

let stack: Stack;
let stripe: FakeStripe;
let browser: Browser;

beforeAll(async () => {
  stripe = await startFakeStripe();
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_EMAIL_MAX: '1000' },
    {},
    { billing: { stripe } },
  );
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await stripe?.close();
}, 120_000);

/** The subscription as the API answers it. */
async function subscriptionOf(user: User) {
  const read = await user.client.get(`/api/user/organizations/${user.organizationId}/subscription`);
  return { status: read.status, subscription: read.body?.data };
}

/** A new owner whose organization billing has learnt (its creation arrives as an event). */
async function ownerWithOrganization(name: string): Promise<User> {
  const owner = await verifiedUser(stack, name);
  await eventually(async () => {
    const { status, subscription } = await subscriptionOf(owner);
    if (status !== 200 || subscription.tierId !== 'free') throw new Error(`billing answered ${status}`);
  }, 20_000);
  return owner;
}

async function openBilling(user: User): Promise<{ page: Page; close: () => Promise<void> }> {
  const session = await openConsole(browser, stack);
  await signInByForm(session.page, user.email, PASSWORD);
  await session.page.goto(`/orgs/${user.organizationId}/billing`);
  await session.page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
  return session;
}

function tierShown(page: Page): Promise<string | null> {
  return page.getByTestId('billing-tier').textContent();
}

describe('console: billing', () => {
  it('upgrades from Free to Pro through Stripe Checkout and shows the new plan on the way back', async () => {
    const owner = await ownerWithOrganization('Bea Billing');
    const { page, close } = await openBilling(owner);
    await expect.poll(() => tierShown(page), { timeout: 10_000 }).toBe('Free');
    await page.getByRole('heading', { name: 'Payments' }).waitFor();
    await page.getByText('No payments yet.').waitFor();
    await expectAccessible(page, 'the billing page on Free');
    await screenshot(page, 'console-billing-free');

    const plans = page.getByRole('group', { name: 'Plan' });
    await plans.getByLabel('Pro', { exact: true }).check();
    await page.getByRole('group', { name: 'Billing period' }).getByLabel('Monthly').check();
    const seats = page.getByLabel('Seats');
    // One member now (the owner): that is the default and the minimum.
    expect(await seats.inputValue()).toBe('1');
    await seats.fill('2');

    // Stripe calls the webhook when the payment goes through; here the test relays it to the gateway.
    stripe.onCheckoutPaid(async (deliveries) => {
      for (const delivery of deliveries) {
        const answer = await fetch(`${stack.urls.gateway}/api/webhooks/stripe`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
        });
        expect(answer.status).toBe(200);
      }
    });
    await page.getByRole('button', { name: 'Upgrade' }).click();
    await page.waitForURL((url) => url.origin === stripe.url && url.pathname.startsWith('/checkout/'), {
      timeout: 15_000,
    });
    const [session] = stripe.requestsTo('POST', '/v1/checkout/sessions');
    expect(session?.body).toMatchObject({ line_items: [{ price: 'price_pro_monthly', quantity: '2' }] });

    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL((url) => url.pathname === `/orgs/${owner.organizationId}/billing`, { timeout: 15_000 });
    expect(new URL(page.url()).searchParams.get('checkout')).toBe('success');
    await expect.poll(() => tierShown(page), { timeout: 30_000 }).toBe('Pro');
    await page.getByText('Payment received').first().waitFor();
    const main = page.locator('main');
    await expect.poll(() => main.textContent()).toMatch(/Seats\s*2/);
    await expect.poll(() => main.textContent()).toContain('Monthly');
    // The checkout's first invoice, paid.
    const payment = page.getByTestId('payment-row').first();
    await payment.waitFor({ timeout: 15_000 });
    expect(await payment.textContent()).toContain('Paid');
    // A paid plan changes in Stripe's portal, not through a second checkout.
    await page.getByRole('button', { name: 'Manage billing' }).waitFor();
    expect(await page.getByRole('button', { name: 'Upgrade' }).count()).toBe(0);
    await expectAccessible(page, 'the billing page on Pro');
    await screenshot(page, 'console-billing-pro');

    const { subscription } = await subscriptionOf(owner);
    expect(subscription).toMatchObject({ tierId: 'pro', seats: 2, interval: 'month', status: 'active' });
    await close();
  });

  it('shows the billing profile’s field errors at their inputs, and saves it', async () => {
    const owner = await ownerWithOrganization('Ben Profile');
    const { page, close } = await openBilling(owner);
    const profile = page.getByRole('region', { name: 'Billing profile' });
    await profile.getByLabel('Billing email').fill('billing@example.com');
    await profile.getByLabel('Company name').fill('Acme Rockets');
    await profile.getByLabel('Tax id', { exact: true }).selectOption('eu_vat');
    await profile.getByLabel('Tax id number').fill('not-a-number');
    await profile.getByRole('button', { name: 'Save billing profile' }).click();
    const taxIdNumber = profile.getByLabel('Tax id number');
    await expect.poll(() => taxIdNumber.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'the billing profile with a field error');

    await taxIdNumber.fill('DE123456789');
    await profile.getByRole('button', { name: 'Save billing profile' }).click();
    await profile.getByText('Billing profile saved.').waitFor();
    const saved = await owner.client.get(`/api/user/organizations/${owner.organizationId}/settings/billing`);
    expect(saved.body.data).toMatchObject({
      billingEmail: 'billing@example.com',
      companyName: 'Acme Rockets',
      address: null,
      taxId: { type: 'eu_vat', value: 'DE123456789' },
    });
    await close();
  });
});
