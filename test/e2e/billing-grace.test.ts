import { eventually } from '@gatehouse/service-kit/testing';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiResponse, Json } from '../support/client.js';
import { verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';
import { type FakeStripe, startFakeStripe } from '../support/stripe-server.js';

/**
 * An unpaid subscription through the gateway: a failed payment starts a grace period (2 s here), writes keep
 * working during it, then the organization is read-only (403 SUBSCRIPTION_INACTIVE) except for reads, removals and
 * paying; once Stripe says it is paid, writes work again on the next request, not a credential cache later.
 */

type User = Awaited<ReturnType<typeof verifiedUser>>;

vi.setConfig({ testTimeout: 120_000 });

let stack: Stack;
let stripe: FakeStripe;
let owner: User;

beforeAll(async () => {
  stripe = await startFakeStripe();
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' },
    {},
    { audit: true, billing: { stripe, overrides: { BILLING_GRACE_SECONDS: 2 } } },
  );
  owner = await verifiedUser(stack, 'Gail Grace');
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await stripe?.close();
}, 120_000);

const org = () => `/api/user/organizations/${owner.organizationId}`;
const billingPage = () => `${stack.urls.gateway}/orgs/${owner.organizationId}/billing`;

async function deliver(type: string, object: unknown): Promise<void> {
  const delivery = stripe.signedDelivery(stripe.event(type, object));
  const res = await fetch(`${stack.urls.gateway}/api/webhooks/stripe`, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  expect(res.status).toBe(200);
}

async function subscription(): Promise<Json> {
  const res = await owner.client.get(`${org()}/subscription`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/** A checkout makes the organization's Stripe customer; Stripe then reports a Pro subscription for it. */
async function subscribeToPro(): Promise<{ customer: string; subscription: Stripe.Subscription }> {
  // Billing hears of the organization and its owner by event: retried until the checkout is accepted.
  await eventually(async () => {
    const started = await owner.client.post(`${org()}/payments/checkout`, {
      tierId: 'pro',
      interval: 'month',
      seatCount: 2,
      successUrl: `${billingPage()}?checkout=success`,
      cancelUrl: billingPage(),
    });
    if (started.status !== 201) throw new Error(`checkout answered ${started.status}`);
  }, 20_000);
  const [session] = stripe.requestsTo('POST', '/v1/checkout/sessions');
  const customer = String(session?.body.customer);
  const created = stripe.createSubscription({
    customer,
    price: 'price_pro_monthly',
    quantity: 2,
    metadata: { organizationId: owner.organizationId },
  });
  await deliver('customer.subscription.created', created);
  await eventually(async () => {
    if ((await subscription()).tierId !== 'pro') throw new Error('not on pro yet');
  });
  return { customer, subscription: created };
}

const createProject = (name: string) => owner.client.post(`${org()}/projects`, { name });

function expectReadOnly(res: ApiResponse, graceEndsAt: string) {
  expect(res.status).toBe(403);
  expect(res.body).toMatchObject({ code: 'SUBSCRIPTION_INACTIVE', meta: { upgradeUrl: billingPage() } });
  expect(Date.parse(res.body.meta.readOnlySince)).toBe(Date.parse(graceEndsAt));
}

describe('grace period and read-only through the gateway', () => {
  it('keeps writes during the grace, refuses them after it but for reads, removals and paying, and lifts it once paid', async () => {
    const { customer, subscription: pro } = await subscribeToPro();
    const kept = await createProject('Kept');
    expect(kept.status).toBe(201);

    stripe.setSubscription(pro.id, { status: 'past_due' });
    const unpaid = stripe.createInvoice({ customer, subscription: pro.id, status: 'open' });
    await deliver('invoice.payment_failed', unpaid);
    const pastDue = await subscription();
    expect(pastDue).toMatchObject({ tierId: 'pro', status: 'past_due', readOnly: false });
    expect(pastDue.graceEndsAt).toEqual(expect.any(String));
    expect(Date.parse(pastDue.graceEndsAt)).toBeGreaterThan(Date.parse(pastDue.pastDueSince));
    // Still within the grace: writes work.
    expect((await createProject('During the grace')).status).toBe(201);

    // The grace ends: the next credential resolution says read-only (its cache lasts no longer than the grace).
    await eventually(async () => {
      if (Date.now() < Date.parse(pastDue.graceEndsAt)) throw new Error('the grace has not ended yet');
    }, 20_000);
    const refused = await eventually(async () => {
      const res = await createProject('After the grace');
      if (res.status !== 403) throw new Error(`still ${res.status}`);
      return res;
    }, 20_000);
    expectReadOnly(refused, pastDue.graceEndsAt);
    expectReadOnly(await owner.client.put(org(), { name: 'Renamed while unpaid' }), pastDue.graceEndsAt);
    expectReadOnly(
      await owner.client.post(`${org()}/webhooks`, { url: 'https://hooks.example.com/gatehouse', events: ['*'] }),
      pastDue.graceEndsAt,
    );

    const listed = await owner.client.get(`${org()}/projects`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((p: Json) => p.name)).toContain('Kept');
    expect(await subscription()).toMatchObject({ status: 'past_due', readOnly: true });
    const portal = await owner.client.post(`${org()}/payments/portal`, { returnUrl: billingPage() });
    expect(portal.status).toBe(201);
    expect(portal.body.data.url).toMatch(new RegExp(`^${stripe.url}/portal/`));
    expect((await owner.client.delete(`${org()}/projects/${kept.body.data.id}`)).status).toBe(200);

    stripe.setSubscription(pro.id, { status: 'active' });
    const paid = stripe.createInvoice({ customer, subscription: pro.id, status: 'paid' });
    await deliver('invoice.paid', paid);
    // The change travels as an event to identity and the gateway: well within the credential cache's 15 s.
    await eventually(async () => {
      const res = await createProject('Paid again');
      if (res.status !== 201) throw new Error(`still ${res.status}`);
    }, 5_000);
    expect(await subscription()).toMatchObject({ status: 'active', readOnly: false, graceEndsAt: null });
  });
});
