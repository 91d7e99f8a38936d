import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  billingKnows,
  billingPath,
  checkoutRequests,
  customerCreations,
  deliver,
  fieldsOf,
  redirects,
  subscribeOrg,
  subscriptionOf,
  tierEntitlements,
} from '../support/billing.js';
import type { ApiClient } from '../support/client.js';
import { createKey, keyClient, mailedToken, verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';
import { type FakeStripe, startFakeStripe } from '../support/stripe-server.js';

/**
 * Billing through the gateway, on the fake Stripe: the free plan a new organization starts on, who may start a
 * checkout, what a checkout refuses, the customer it makes once, the billing profile synced to Stripe, the payments
 * list, and Stripe being down. Every answer is checked against the OpenAPI document by the stack's gateway.
 */

type User = Awaited<ReturnType<typeof verifiedUser>>;

let stack: Stack;
let fake: FakeStripe;
/** An organization with an owner, an admin and a member (three seats taken). */
let owner: User;
let admin: User;
let member: User;

beforeAll(async () => {
  fake = await startFakeStripe();
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' },
    {},
    { billing: { stripe: fake } },
  );
  owner = await verifiedUser(stack, 'Olga Owner');
  admin = await joined(owner, 'Adam Admin', 'admin');
  member = await joined(owner, 'Mia Member', 'member');
  await billingKnows(stack, owner.organizationId);
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await fake?.close();
});

/** A verified user invited into the owner's organization with this role. */
async function joined(inviter: User, name: string, role: 'admin' | 'member'): Promise<User> {
  const user = await verifiedUser(stack, name);
  const invite = await inviter.client.post(`${billingPath(inviter.organizationId)}/invites`, {
    email: user.email,
    role,
  });
  expect(invite.status).toBe(201);
  const token = await mailedToken(stack, user.email, '/accept-invite?token=');
  expect((await user.client.post(`/api/user/invites/${token}/accept`)).status).toBe(200);
  return user;
}

/** A new organization of the owner's, once billing has learnt it. */
async function newOrganization(client: ApiClient, name: string): Promise<string> {
  const created = await client.post('/api/user/organizations', { name });
  expect(created.status).toBe(201);
  const organizationId = created.body.data.id as string;
  await billingKnows(stack, organizationId);
  return organizationId;
}

const checkout = (client: ApiClient, organizationId: string, body: Record<string, unknown>) =>
  client.post(`${billingPath(organizationId)}/payments/checkout`, {
    tierId: 'pro',
    interval: 'month',
    seatCount: 3,
    ...redirects(stack, organizationId),
    ...body,
  });

const org = () => billingPath(owner.organizationId);

describe('billing through the gateway', () => {
  it('puts a new organization on Free with the plans file’s entitlements', async () => {
    const fresh = await verifiedUser(stack, 'Fay Fresh');
    const subscription = await eventually(async () => {
      const current = await subscriptionOf(fresh.client, fresh.organizationId);
      if (current.tierId !== 'free') throw new Error(`on ${current.tierId}`);
      return current;
    }, 20_000);
    expect(subscription).toMatchObject({
      organizationId: fresh.organizationId,
      tierId: 'free',
      tierName: 'Free',
      status: 'active',
      seats: null,
      interval: null,
      cancelAtPeriodEnd: false,
      pastDueSince: null,
      readOnly: false,
      billingConfigured: true,
    });
    expect(subscription.entitlements).toEqual(tierEntitlements('free'));
    // Any member reads it; settings and payments too (empty).
    expect((await subscriptionOf(member.client, owner.organizationId)).tierId).toBe('free');
    const payments = await member.client.get(`${org()}/payments`);
    expect(payments.status).toBe(200);
    expect(payments.body.data).toEqual([]);
    const settings = await member.client.get(`${org()}/settings/billing`);
    expect(settings.body.data).toEqual({
      billingEmail: null,
      companyName: null,
      address: null,
      taxId: null,
      updatedAt: null,
    });
  });

  it('keeps checkout, portal and the profile to owners, and each route to its scope', async () => {
    for (const user of [admin, member]) {
      const refused = await checkout(user.client, owner.organizationId, {});
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('INSUFFICIENT_PERMISSIONS');
      const portal = await user.client.post(`${org()}/payments/portal`, { returnUrl: redirects(stack, 'x').cancelUrl });
      expect(portal.body.code).toBe('INSUFFICIENT_PERMISSIONS');
      const profile = await user.client.put(`${org()}/settings/billing`, {
        billingEmail: null,
        companyName: 'Sneaky',
        address: null,
        taxId: null,
      });
      expect(profile.body.code).toBe('INSUFFICIENT_PERMISSIONS');
    }

    const reader = keyClient(
      stack,
      (await createKey(owner.client, { name: 'reader', scopes: ['subscription:read'] })).key,
    );
    expect((await reader.get(`${org()}/subscription`)).status).toBe(200);
    const noWrite = await checkout(reader, owner.organizationId, {});
    expect(noWrite.status).toBe(403);
    expect(noWrite.body.code).toBe('API_KEY_MISSING_SCOPES');
    const noPayments = await reader.get(`${org()}/payments`);
    expect(noPayments.status).toBe(403);
    expect(noPayments.body.code).toBe('API_KEY_MISSING_SCOPES');
    const accountant = keyClient(
      stack,
      (await createKey(owner.client, { name: 'books', scopes: ['payments:read'] })).key,
    );
    expect((await accountant.get(`${org()}/payments`)).status).toBe(200);
    expect((await accountant.get(`${org()}/subscription`)).body.code).toBe('API_KEY_MISSING_SCOPES');

    const stranger = await verifiedUser(stack, 'Sam Stranger');
    for (const path of ['subscription', 'payments', 'settings/billing']) {
      const hidden = await stranger.client.get(`${org()}/${path}`);
      expect(hidden.status).toBe(404);
    }
    expect((await checkout(stranger.client, owner.organizationId, {})).status).toBe(404);
    // None of it reached Stripe.
    expect(checkoutRequests(fake, owner.organizationId)).toEqual([]);
  });

  it('refuses a checkout that names a bad origin, tier or seat count, naming the field', async () => {
    const evil = await checkout(owner.client, owner.organizationId, { successUrl: 'https://evil.example/billing' });
    expect(evil.status).toBe(400);
    expect(fieldsOf(evil)).toEqual(['successUrl']);
    const evilCancel = await checkout(owner.client, owner.organizationId, { cancelUrl: 'http://127.0.0.1:1/x' });
    expect(fieldsOf(evilCancel)).toEqual(['cancelUrl']);
    for (const tierId of ['free', 'platinum']) {
      const refused = await checkout(owner.client, owner.organizationId, { tierId });
      expect(refused.status).toBe(400);
      expect(fieldsOf(refused)).toEqual(['tierId']);
    }
    const noSeats = await checkout(owner.client, owner.organizationId, { seatCount: undefined });
    expect(noSeats.status).toBe(400);
    expect(fieldsOf(noSeats)).toEqual(['seatCount']);
    // Three members: two seats cannot cover them.
    const tooFew = await checkout(owner.client, owner.organizationId, { seatCount: 2 });
    expect(tooFew.status).toBe(400);
    expect(fieldsOf(tooFew)).toEqual(['seatCount']);
    expect(tooFew.body.meta.errors[0].error).toContain('3');
    const schema = await checkout(owner.client, owner.organizationId, { seatCount: 0, interval: 'week' });
    expect(schema.status).toBe(400);
    expect(fieldsOf(schema).sort()).toEqual(['interval', 'seatCount']);
    expect(checkoutRequests(fake, owner.organizationId)).toEqual([]);
    expect(customerCreations(fake, owner.organizationId)).toEqual([]);
  });

  it('answers 409 for the portal before the organization has a Stripe customer', async () => {
    const portal = await owner.client.post(`${org()}/payments/portal`, {
      returnUrl: redirects(stack, owner.organizationId).cancelUrl,
    });
    expect(portal.status).toBe(409);
    expect(portal.body).toMatchObject({ code: 'CONFLICT', meta: { reason: 'NO_CUSTOMER' } });
  });

  it('refuses a bad tax id by its field, and saves the profile without Stripe while there is no customer', async () => {
    const bad = await owner.client.put(`${org()}/settings/billing`, {
      billingEmail: 'books@example.com',
      companyName: 'Acme',
      address: null,
      taxId: { type: 'eu_vat', value: 'not-a-vat-number' },
    });
    expect(bad.status).toBe(400);
    expect(fieldsOf(bad)).toEqual(['taxId.value']);
    const badEmail = await owner.client.put(`${org()}/settings/billing`, {
      billingEmail: 'not-an-email',
      companyName: 'Acme',
      address: null,
      taxId: null,
    });
    expect(fieldsOf(badEmail)).toEqual(['billingEmail']);
    const before = fake.requests.length;
    const saved = await owner.client.put(`${org()}/settings/billing`, {
      billingEmail: 'books@example.com',
      companyName: 'Acme Rockets',
      address: { line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
      taxId: { type: 'eu_vat', value: 'DE123456789' },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.data).toMatchObject({
      billingEmail: 'books@example.com',
      companyName: 'Acme Rockets',
      address: { line1: '1 Main St', line2: null, city: 'Berlin', postalCode: '10115', state: null, country: 'DE' },
      taxId: { type: 'eu_vat', value: 'DE123456789' },
    });
    expect(fake.requests.length).toBe(before);
    expect((await member.client.get(`${org()}/settings/billing`)).body.data.companyName).toBe('Acme Rockets');
  });

  it('makes the Stripe customer once, with the saved profile, and reuses it on a second checkout', async () => {
    const first = await checkout(owner.client, owner.organizationId, { seatCount: 3 });
    expect(first.status).toBe(201);
    expect(first.body.data.url).toMatch(new RegExp(`^${fake.url}/checkout/`));
    const second = await checkout(owner.client, owner.organizationId, { seatCount: 4, interval: 'year' });
    expect(second.status).toBe(201);
    expect(second.body.data.sessionId).not.toBe(first.body.data.sessionId);

    const created = customerCreations(fake, owner.organizationId);
    expect(created).toHaveLength(1);
    expect(created[0]?.body).toMatchObject({
      name: 'Acme Rockets',
      email: 'books@example.com',
      tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }],
    });
    const sessions = checkoutRequests(fake, owner.organizationId);
    expect(sessions).toHaveLength(2);
    expect(sessions[0]?.body.customer).toBe(sessions[1]?.body.customer);
    expect(sessions[0]?.body).toMatchObject({ line_items: [{ price: 'price_pro_monthly', quantity: '3' }] });
    expect(sessions[1]?.body).toMatchObject({ line_items: [{ price: 'price_pro_yearly', quantity: '4' }] });
    // A checkout not paid changes no plan.
    expect((await subscriptionOf(owner.client, owner.organizationId)).tierId).toBe('free');
  });

  it('brings the Stripe customer to a changed profile, and opens the portal for it', async () => {
    const customer = checkoutRequests(fake, owner.organizationId)[0]?.body.customer as string;
    expect(customer).toMatch(/^cus_/);
    const updated = await owner.client.put(`${org()}/settings/billing`, {
      billingEmail: 'finance@example.com',
      companyName: 'Acme Rockets GmbH',
      address: null,
      taxId: { type: 'eu_vat', value: 'DE999999999' },
    });
    expect(updated.status).toBe(200);
    const [sync] = fake
      .requestsTo('POST', `/v1/customers/${customer}`)
      .filter((r) => r.path === `/v1/customers/${customer}`);
    expect(sync?.body).toMatchObject({ email: 'finance@example.com', name: 'Acme Rockets GmbH', address: '' });
    expect(fake.requestsTo('POST', `/v1/customers/${customer}/tax_ids`).at(-1)?.body).toMatchObject({
      type: 'eu_vat',
      value: 'DE999999999',
    });

    const portal = await owner.client.post(`${org()}/payments/portal`, {
      returnUrl: redirects(stack, owner.organizationId).cancelUrl,
    });
    expect(portal.status).toBe(201);
    expect(portal.body.data.url).toMatch(new RegExp(`^${fake.url}/portal/`));
  });

  it('lists the invoices that arrive by webhook, newest first, paged like other lists', async () => {
    const organizationId = await newOrganization(owner.client, 'Invoiced Inc');
    const paid = await subscribeOrg(stack, fake, owner, organizationId, { tierId: 'pro', seatCount: 2 });
    expect(await subscriptionOf(owner.client, organizationId)).toMatchObject({
      tierId: 'pro',
      seats: 2,
      interval: 'month',
      status: 'active',
    });
    for (const status of ['paid', 'open'] as const) {
      const invoice = fake.createInvoice({ customer: paid.customerId, subscription: paid.subscriptionId, status });
      const event = fake.event(status === 'paid' ? 'invoice.paid' : 'invoice.payment_failed', invoice);
      expect((await deliver(stack, fake, event)).status).toBe(200);
    }
    const url = `${billingPath(organizationId)}/payments`;
    const all = await owner.client.get(url);
    expect(all.status).toBe(200);
    expect(all.body.data).toHaveLength(3);
    expect(all.body.meta).toMatchObject({ total: 3, offset: 0, limit: 20, hasMore: false });
    expect(all.body.data.map((p: { status: string }) => p.status).sort()).toEqual(['open', 'paid', 'paid']);
    const first = all.body.data.find((p: { status: string }) => p.status === 'paid');
    expect(first).toMatchObject({ currency: 'usd', amountDue: 4000, amountPaid: 4000 });
    expect(first.number).toMatch(/^FAKE-/);

    const page = await owner.client.get(`${url}?limit=2`);
    expect(page.body.data).toHaveLength(2);
    expect(page.body.meta).toMatchObject({ total: 3, offset: 0, limit: 2, hasMore: true });
    const rest = await owner.client.get(`${url}?limit=2&offset=2`);
    expect(rest.body.data).toHaveLength(1);
    expect(rest.body.meta).toMatchObject({ total: 3, offset: 2, limit: 2, hasMore: false });
    const ids = [...page.body.data, ...rest.body.data].map((p: { id: string }) => p.id);
    expect(new Set(ids).size).toBe(3);
    const byAmount = await owner.client.get(`${url}?sort=amountDue`);
    expect(byAmount.status).toBe(200);
    expect((await owner.client.get(`${url}?sort=secret`)).body.meta.errors[0].field).toBe('sort');
    // A paid plan changes in the portal, not through another checkout.
    const again = await checkout(owner.client, organizationId, { seatCount: 2 });
    expect(again.status).toBe(409);
  });

  it('answers 503 and changes nothing while Stripe is down, and checks out once it is back', async () => {
    const organizationId = await newOrganization(owner.client, 'Outage Ltd');
    fake.failNext('*', '/v1/', 500, 5);
    const down = await checkout(owner.client, organizationId, { seatCount: 1 });
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(down.body)).not.toMatch(/sk_test|injected/i);
    expect((await subscriptionOf(owner.client, organizationId)).tierId).toBe('free');
    // No customer was stored: the portal still has none to open.
    const portal = await owner.client.post(`${billingPath(organizationId)}/payments/portal`, {
      returnUrl: redirects(stack, organizationId).cancelUrl,
    });
    expect(portal.status).toBe(409);
    expect(checkoutRequests(fake, organizationId)).toEqual([]);

    // Each retry spends one of the failures left; then Stripe answers again.
    const back = await eventually(async () => {
      const retried = await checkout(owner.client, organizationId, { seatCount: 1 });
      if (retried.status !== 201) throw new Error(`checkout answered ${retried.status}`);
      return retried;
    }, 20_000);
    expect(back.body.data.sessionId).toMatch(/^cs_test_/);
    // Only the creation Stripe answered made a customer; the rest were refused before any was made.
    const created = customerCreations(fake, organizationId);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((entry) => entry.idempotencyKey)).size).toBe(1);
  });
});
