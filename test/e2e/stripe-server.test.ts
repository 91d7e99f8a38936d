import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeStripe, startFakeStripe } from '../support/stripe-server.js';

/**
 * The fake Stripe, driven by the official SDK exactly as billing drives it: every answer parses, the ids and echoed
 * fields are the request's, failures come in Stripe's error shape, and webhook deliveries verify with the SDK.
 */

let fake: FakeStripe;
let stripe: Stripe;

beforeAll(async () => {
  fake = await startFakeStripe();
  stripe = new Stripe(fake.secretKey, { ...fake.sdkOptions(), maxNetworkRetries: 0 });
});
afterAll(async () => {
  await fake?.close();
});

describe('customers and tax ids', () => {
  it('creates, retrieves and updates a customer, echoing the request', async () => {
    const created = await stripe.customers.create({
      name: 'Acme GmbH',
      email: 'billing@acme.test',
      metadata: { organizationId: 'org_1' },
      address: { country: 'DE', city: 'Berlin' },
    });
    expect(created.id).toMatch(/^cus_/);
    expect(created).toMatchObject({
      object: 'customer',
      name: 'Acme GmbH',
      email: 'billing@acme.test',
      discount: null,
    });
    expect(created.metadata).toEqual({ organizationId: 'org_1' });
    expect(created.address).toMatchObject({ country: 'DE', city: 'Berlin', line1: null });

    const updated = await stripe.customers.update(created.id, { email: 'ap@acme.test', metadata: { tierId: 'pro' } });
    expect(updated.email).toBe('ap@acme.test');
    expect(updated.metadata).toEqual({ organizationId: 'org_1', tierId: 'pro' });
    const retrieved = await stripe.customers.retrieve(created.id);
    expect(retrieved).toMatchObject({ id: created.id, email: 'ap@acme.test' });
    expect(fake.requestsTo('POST', '/v1/customers')[0]?.body).toMatchObject({ metadata: { organizationId: 'org_1' } });
  });

  it('creates, lists and deletes tax ids', async () => {
    const customer = await stripe.customers.create({ name: 'Tax Co' });
    const taxId = await stripe.customers.createTaxId(customer.id, { type: 'eu_vat', value: 'DE123456789' });
    expect(taxId).toMatchObject({ object: 'tax_id', type: 'eu_vat', value: 'DE123456789', customer: customer.id });
    expect(taxId.id).toMatch(/^txi_/);
    const listed = await stripe.customers.listTaxIds(customer.id);
    expect(listed.data.map((t) => t.id)).toEqual([taxId.id]);
    const deleted = await stripe.customers.deleteTaxId(customer.id, taxId.id);
    expect(deleted).toEqual({ id: taxId.id, object: 'tax_id', deleted: true });
    expect((await stripe.customers.listTaxIds(customer.id)).data).toEqual([]);
    await expect(stripe.customers.deleteTaxId(customer.id, taxId.id)).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
    });
  });

  it('answers unknown ids with 404 resource_missing', async () => {
    for (const call of [
      () => stripe.customers.retrieve('cus_nope'),
      () => stripe.subscriptions.retrieve('sub_nope'),
      () => stripe.invoices.retrieve('in_nope'),
      () => stripe.checkout.sessions.retrieve('cs_test_nope'),
    ]) {
      await expect(call()).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    }
  });
});

describe('checkout and portal', () => {
  it('creates a subscription checkout session whose url is the local checkout page', async () => {
    const customer = await stripe.customers.create({ name: 'Checkout Co' });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      client_reference_id: 'org_2',
      line_items: [{ price: 'price_pro_month', quantity: 4 }],
      success_url: 'http://127.0.0.1:9/done?session={CHECKOUT_SESSION_ID}',
      cancel_url: 'http://127.0.0.1:9/cancel',
      subscription_data: { metadata: { organizationId: 'org_2', tierId: 'pro' } },
      metadata: { organizationId: 'org_2' },
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`${fake.url}/checkout/${session.id}`);
    expect(session).toMatchObject({
      mode: 'subscription',
      customer: customer.id,
      client_reference_id: 'org_2',
      status: 'open',
      metadata: { organizationId: 'org_2' },
    });
    expect(session.expires_at).toBeGreaterThan(session.created);
    const body = fake.requestsTo('POST', '/v1/checkout/sessions').at(-1)?.body;
    expect(body).toMatchObject({ line_items: [{ price: 'price_pro_month', quantity: '4' }] });
    expect((await stripe.checkout.sessions.retrieve(session.id)).url).toBe(session.url);
    const unknownCustomer = stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: 'cus_nope',
      line_items: [{ price: 'price_pro_month', quantity: 1 }],
      success_url: 'http://127.0.0.1:9/done',
    });
    await expect(unknownCustomer).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'customer',
    });
  });

  it('creates a portal session with a local url', async () => {
    const customer = await stripe.customers.create({ name: 'Portal Co' });
    const portal = await stripe.billingPortal.sessions.create({
      customer: customer.id,
      return_url: 'http://127.0.0.1:9/back',
    });
    expect(portal).toMatchObject({ customer: customer.id, flow: null, return_url: 'http://127.0.0.1:9/back' });
    expect(portal.url).toBe(`${fake.url}/portal/${portal.id}`);
    const page = await fetch(portal.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('http://127.0.0.1:9/back');
  });
});

describe('subscriptions and invoices', () => {
  it('serves a subscription with its price, quantity and sane period, and cancels it once', async () => {
    const customer = await stripe.customers.create({ name: 'Sub Co' });
    const created = fake.createSubscription({
      customer: customer.id,
      price: 'price_team_month',
      quantity: 7,
      metadata: { organizationId: 'org_3' },
    });
    const subscription = await stripe.subscriptions.retrieve(created.id);
    const item = subscription.items.data[0]!;
    expect(subscription).toMatchObject({
      status: 'active',
      customer: customer.id,
      cancel_at: null,
      canceled_at: null,
      ended_at: null,
      trial_start: null,
      trial_end: null,
      cancel_at_period_end: false,
      metadata: { organizationId: 'org_3' },
    });
    expect(item).toMatchObject({ quantity: 7, price: { id: 'price_team_month' }, subscription: created.id });
    expect(item.current_period_end).toBeGreaterThan(item.current_period_start);
    expect(item.current_period_start).toBe(subscription.created);

    fake.setSubscription(created.id, { status: 'past_due', quantity: 9, cancel_at_period_end: true });
    expect(created.status).toBe('active'); // what a test holds is a snapshot: a stale payload stays stale
    const changed = await stripe.subscriptions.retrieve(created.id);
    expect(changed).toMatchObject({ status: 'past_due', cancel_at_period_end: true });
    expect(changed.items.data[0]?.quantity).toBe(9);
    expect(changed.cancel_at).toBe(changed.items.data[0]?.current_period_end);

    const canceled = await stripe.subscriptions.cancel(created.id);
    expect(canceled.status).toBe('canceled');
    expect(canceled.canceled_at).toEqual(expect.any(Number));
    expect(canceled.ended_at).toEqual(expect.any(Number));
    await expect(stripe.subscriptions.cancel(created.id)).rejects.toMatchObject({ code: 'resource_missing' });
    expect((await stripe.subscriptions.retrieve(created.id)).status).toBe('canceled');
  });

  it('serves invoices with their subscription and amounts, listed newest first in pages', async () => {
    const customer = await stripe.customers.create({ name: 'Invoice Co' });
    const other = await stripe.customers.create({ name: 'Other Co' });
    const subscription = fake.createSubscription({ customer: customer.id, price: 'price_pro_month', quantity: 3 });
    const ids = Array.from({ length: 5 }, (_, i) =>
      fake.createInvoice({ customer: customer.id, subscription: subscription.id, status: i === 4 ? 'open' : 'paid' }),
    ).map((i) => i.id);
    fake.createInvoice({ customer: other.id, subscription: subscription.id, status: 'paid', amount: 1 });

    const paid = await stripe.invoices.retrieve(ids[0]!);
    expect(paid).toMatchObject({ status: 'paid', amount_due: 6000, amount_paid: 6000, amount_remaining: 0 });
    expect(paid.parent?.subscription_details?.subscription).toBe(subscription.id);
    expect(paid.status_transitions.paid_at).toEqual(expect.any(Number));
    const open = await stripe.invoices.retrieve(ids[4]!);
    expect(open).toMatchObject({ status: 'open', amount_paid: 0, status_transitions: { paid_at: null } });

    const first = await stripe.invoices.list({ customer: customer.id, limit: 2 });
    expect(first).toMatchObject({ object: 'list', has_more: true });
    expect(first.data.map((i) => i.id)).toEqual([ids[4], ids[3]]);
    const second = await stripe.invoices.list({ customer: customer.id, limit: 2, starting_after: first.data[1]!.id });
    expect(second.data.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    const all = await stripe.invoices.list({ customer: customer.id, limit: 2 }).autoPagingToArray({ limit: 100 });
    expect(all.map((i) => i.id)).toEqual([...ids].reverse());
  });
});

describe('failures, authentication and idempotency', () => {
  it('answers an injected 500 in Stripe error shape once', async () => {
    const customer = await stripe.customers.create({ name: 'Flaky Co' });
    fake.failNext('GET', '/v1/customers/', 500);
    await expect(stripe.customers.retrieve(customer.id)).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect((await stripe.customers.retrieve(customer.id)).id).toBe(customer.id);
  });

  it('can hang a call until the client gives up', async () => {
    const impatient = new Stripe(fake.secretKey, { ...fake.sdkOptions(), maxNetworkRetries: 0, timeout: 200 });
    fake.failNext('POST', '/v1/billing_portal/sessions', 'hang');
    await expect(impatient.billingPortal.sessions.create({ customer: 'cus_x' })).rejects.toBeInstanceOf(
      Stripe.errors.StripeConnectionError,
    );
  });

  it('refuses another key, a missing Stripe-Version and an unknown route in Stripe error shape', async () => {
    const wrong = new Stripe('sk_test_other', { ...fake.sdkOptions(), maxNetworkRetries: 0 });
    await expect(wrong.customers.create({})).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const auth = { authorization: `Bearer ${fake.secretKey}` };
    const noVersion = await fetch(`${fake.url}/v1/customers/cus_x`, { headers: auth });
    expect(noVersion.status).toBe(400);
    const unknown = await fetch(`${fake.url}/v1/nothing`, {
      headers: { ...auth, 'stripe-version': Stripe.API_VERSION },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('replays the same answer for the same Idempotency-Key and refuses it for other parameters', async () => {
    const key = `customer:${Math.random()}`;
    const first = await stripe.customers.create({ name: 'Once Co' }, { idempotencyKey: key });
    const again = await stripe.customers.create({ name: 'Once Co' }, { idempotencyKey: key });
    expect(again.id).toBe(first.id);
    const sent = fake.requests.filter((r) => r.idempotencyKey === key);
    expect(sent.map((r) => r.replayed ?? false)).toEqual([false, true]);
    await expect(stripe.customers.create({ name: 'Other Co' }, { idempotencyKey: key })).rejects.toBeInstanceOf(
      Stripe.errors.StripeIdempotencyError,
    );
  });
});

describe('webhook deliveries', () => {
  it('signs pretty-printed events that the SDK verifies, and a one-byte change fails', () => {
    const subscription = fake.createSubscription({ customer: 'cus_hook', price: 'price_pro_month' });
    const event = fake.event('customer.subscription.updated', subscription);
    expect(event.id).toMatch(/^evt_/);
    const delivery = fake.signedDelivery(event);
    expect(delivery.body).toBe(JSON.stringify(event, null, 2));
    const verified = stripe.webhooks.constructEvent(
      delivery.body,
      delivery.headers['stripe-signature'],
      fake.webhookSecret,
    );
    expect(verified).toMatchObject({
      id: event.id,
      type: 'customer.subscription.updated',
      api_version: Stripe.API_VERSION,
    });
    expect((verified.data.object as Stripe.Subscription).id).toBe(subscription.id);

    const changed = delivery.body.replace('"livemode": false', '"livemode": falsE');
    expect(changed).not.toBe(delivery.body);
    expect(() =>
      stripe.webhooks.constructEvent(changed, delivery.headers['stripe-signature'], fake.webhookSecret),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    const otherSecret = fake.signedDelivery(event, { secret: 'whsec_other' });
    expect(() =>
      stripe.webhooks.constructEvent(otherSecret.body, otherSecret.headers['stripe-signature'], fake.webhookSecret),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
    const old = fake.signedDelivery(event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(() =>
      stripe.webhooks.constructEvent(old.body, old.headers['stripe-signature'], fake.webhookSecret, 300),
    ).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });

  it('pays on the checkout page: subscription, paid invoice, three deliveries in order, 303 to success_url', async () => {
    const customer = await stripe.customers.create({ name: 'Pay Co' });
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      client_reference_id: 'org_4',
      line_items: [{ price: 'price_pro_year', quantity: 5 }],
      success_url: 'http://127.0.0.1:9/done?session={CHECKOUT_SESSION_ID}',
      subscription_data: { metadata: { organizationId: 'org_4', tierId: 'pro' } },
    });
    const handed: { body: string; headers: Record<string, string> }[][] = [];
    fake.onCheckoutPaid(async (deliveries) => {
      handed.push(deliveries);
    });

    const page = await fetch(session.url!);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain(`action="/checkout/${session.id}/pay"`);
    expect(html).toMatch(/<button[^>]*>Pay<\/button>/);

    const paid = await fetch(`${fake.url}/checkout/${session.id}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`http://127.0.0.1:9/done?session=${session.id}`);

    expect(handed).toHaveLength(1);
    const events = handed[0]!.map((d) =>
      stripe.webhooks.constructEvent(d.body, d.headers['stripe-signature']!, fake.webhookSecret),
    );
    expect(events.map((e) => e.type)).toEqual([
      'checkout.session.completed',
      'customer.subscription.created',
      'invoice.paid',
    ]);

    const completed = await stripe.checkout.sessions.retrieve(session.id);
    expect(completed).toMatchObject({ status: 'complete', payment_status: 'paid', customer: customer.id });
    const subscription = await stripe.subscriptions.retrieve(completed.subscription as string);
    expect(subscription).toMatchObject({ status: 'active', metadata: { organizationId: 'org_4', tierId: 'pro' } });
    expect(subscription.items.data[0]).toMatchObject({ quantity: 5, price: { id: 'price_pro_year' } });
    const invoice = await stripe.invoices.retrieve(subscription.latest_invoice as string);
    expect(invoice).toMatchObject({ status: 'paid', amount_paid: 10_000 });
    expect(invoice.parent?.subscription_details?.subscription).toBe(subscription.id);
    expect((events[2]!.data.object as Stripe.Invoice).id).toBe(invoice.id);
    const expanded = await stripe.subscriptions.retrieve(subscription.id, { expand: ['latest_invoice'] });
    expect((expanded.latest_invoice as Stripe.Invoice).id).toBe(invoice.id);

    // Paying again only redirects: no second subscription, no new deliveries.
    const again = await fetch(`${fake.url}/checkout/${session.id}/pay`, { method: 'POST', redirect: 'manual' });
    expect(again.status).toBe(303);
    expect(handed).toHaveLength(1);
  });
});
