import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FakeStripe } from '../../../test/support/stripe-server.js';
import { type BillingHarness, startBilling } from './harness.js';

/**
 * Stripe's deliveries, signed as Stripe signs them, POSTed to the billing app as the gateway forwards them
 * (the raw body untouched), against the fake Stripe the webhook reads the objects back from.
 */

// biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
type Rows = any[];

const PATH = '/api/webhooks/stripe';
const PRO = 'price_pro_monthly';
const FREE_ENTITLEMENTS = { maxProjects: 5, maxMembers: 5, ssoAllowed: false, auditRetentionDays: 365 };

let h: BillingHarness;
let fake: FakeStripe;
beforeAll(async () => {
  h = await startBilling();
  fake = h.stripe!;
});
afterAll(() => h.close());

const sql = (query: string, params: unknown[] = []): Promise<Rows> =>
  h.service.deps.orm.em.fork().execute(query, params);

/** A free organization billing knows (what organization.created would have made). */
async function organization(): Promise<string> {
  const id = newId();
  await sql(
    `insert into billing_accounts (organization_id, organization_name, tier_id, status, entitlements)
     values (?, 'Acme', 'free', 'active', ?::jsonb)`,
    [id, JSON.stringify(FREE_ENTITLEMENTS)],
  );
  return id;
}

function subscribe(organizationId: string, patch: { status?: string; created?: number; quantity?: number } = {}) {
  return fake.createSubscription({
    customer: `cus_${organizationId}`,
    price: PRO,
    quantity: patch.quantity ?? 3,
    status: patch.status ?? 'active',
    metadata: { organizationId },
    ...(patch.created !== undefined && { created: patch.created }),
  });
}

async function post(delivery: { body: string; headers: Record<string, string> }) {
  const principal = await h.service.as({ kind: 'anonymous' });
  const response = await h.service.app.inject({
    method: 'POST',
    url: PATH,
    payload: delivery.body,
    headers: { ...delivery.headers, ...principal },
  });
  return { status: response.statusCode, body: response.json() };
}

const deliver = (event: Stripe.Event, opts?: { timestamp?: number; secret?: string }) =>
  post(fake.signedDelivery(event, opts));

async function account(organizationId: string) {
  const [row] = await sql('select * from billing_accounts where organization_id = ?', [organizationId]);
  return row;
}

async function outboxOf(subject: string, organizationId: string): Promise<Rows> {
  const rows = await sql(
    `select payload from outbox_events where subject = ? and payload->'data'->>'organizationId' = ? order by id`,
    [subject, organizationId],
  );
  return rows.map((row) => row.payload.data);
}

const eventRows = (id: string): Promise<Rows> => sql('select * from stripe_events where id = ?', [id]);

const received = (duplicate: boolean) => expect.objectContaining({ data: { received: true, duplicate } });

function signatureRefusal(error: string) {
  return expect.objectContaining({
    code: 'VALIDATION_ERROR',
    meta: expect.objectContaining({ errors: [{ field: 'stripe-signature', location: 'headers', error }] }),
  });
}

describe('stripe webhook: verification', () => {
  it('a valid subscription.created puts the organization on its tier', async () => {
    const org = await organization();
    const subscription = subscribe(org);
    const event = fake.event('customer.subscription.created', subscription);
    expect(await deliver(event)).toEqual({ status: 200, body: received(false) });

    const row = await account(org);
    expect(row).toMatchObject({
      tier_id: 'pro',
      status: 'active',
      seats: 3,
      interval: 'month',
      subscription_id: subscription.id,
      stripe_customer_id: `cus_${org}`,
      revision: '2',
    });
    expect(row.entitlements.maxMembers).toBe(3);
    expect(await eventRows(event.id)).toEqual([
      expect.objectContaining({ outcome: 'applied', organization_id: org, type: 'customer.subscription.created' }),
    ]);
    const activities = await outboxOf(EVENT_SUBJECTS.billingActivity, org);
    expect(activities).toEqual([
      expect.objectContaining({
        action: 'subscription.started',
        userId: null,
        actor: { type: 'system', id: 'stripe' },
        target: { type: 'subscription', id: subscription.id, name: 'Pro' },
      }),
    ]);
  });

  it('one byte changed → 400 and nothing changes', async () => {
    const org = await organization();
    const event = fake.event('customer.subscription.created', subscribe(org));
    const delivery = fake.signedDelivery(event);
    const tampered = { ...delivery, body: delivery.body.replace('"livemode": false', '"livemode": fals ') };
    expect(tampered.body).not.toBe(delivery.body);
    expect(await post(tampered)).toEqual({ status: 400, body: signatureRefusal('signature does not match') });
    expect(await account(org)).toMatchObject({ tier_id: 'free', revision: '1' });
    expect(await eventRows(event.id)).toEqual([]);
  });

  it('the wrong secret → 400', async () => {
    const org = await organization();
    const event = fake.event('customer.subscription.created', subscribe(org));
    const answer = await deliver(event, { secret: 'whsec_someoneelse' });
    expect(answer).toEqual({ status: 400, body: signatureRefusal('signature does not match') });
    expect(await account(org)).toMatchObject({ tier_id: 'free' });
  });

  it('a timestamp older than the tolerance → 400', async () => {
    const org = await organization();
    const event = fake.event('customer.subscription.created', subscribe(org));
    const answer = await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(answer).toEqual({ status: 400, body: signatureRefusal('timestamp outside the tolerance') });
    expect(await account(org)).toMatchObject({ tier_id: 'free' });
  });

  it('no signature header → 400 missing', async () => {
    const event = fake.event('customer.subscription.created', { id: 'sub_x' });
    const { 'stripe-signature': _, ...headers } = fake.signedDelivery(event).headers;
    const answer = await post({ body: JSON.stringify(event), headers });
    expect(answer).toEqual({ status: 400, body: signatureRefusal('missing') });
  });

  it('a signed event whose data.object is null → 400, not a crash', async () => {
    const event = {
      ...fake.event('customer.subscription.created', {}),
      data: { object: null },
    } as unknown as Stripe.Event;
    const answer = await deliver(event);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await eventRows(event.id)).toEqual([]);
  });

  it('an event of another mode (live against a test key) → 200 ignored', async () => {
    const org = await organization();
    const event = { ...fake.event('customer.subscription.created', subscribe(org)), livemode: true } as Stripe.Event;
    expect(await deliver(event)).toEqual({ status: 200, body: received(false) });
    expect(await account(org)).toMatchObject({ tier_id: 'free' });
    expect(await eventRows(event.id)).toEqual([expect.objectContaining({ outcome: 'ignored' })]);
  });
});

describe('stripe webhook: once per event', () => {
  it('the same delivery twice in a row → one change, the second answered duplicate without reading Stripe', async () => {
    const org = await organization();
    const event = fake.event('customer.subscription.created', subscribe(org));
    const delivery = fake.signedDelivery(event);
    expect(await post(delivery)).toEqual({ status: 200, body: received(false) });
    const reads = fake.requests.length;
    expect(await post(delivery)).toEqual({ status: 200, body: received(true) });
    expect(fake.requests.length).toBe(reads);
    expect(await eventRows(event.id)).toHaveLength(1);
    expect(await outboxOf(EVENT_SUBJECTS.billingEntitlementsChanged, org)).toHaveLength(1);
    expect(await outboxOf(EVENT_SUBJECTS.billingActivity, org)).toHaveLength(1);
  });

  it('the same delivery twice at once → one change, one answered duplicate', async () => {
    const org = await organization();
    const event = fake.event('customer.subscription.created', subscribe(org));
    const delivery = fake.signedDelivery(event);
    const answers = await Promise.all([post(delivery), post(delivery)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(answers.map((answer) => answer.body.data.duplicate).sort()).toEqual([false, true]);
    expect(await eventRows(event.id)).toHaveLength(1);
    expect(await outboxOf(EVENT_SUBJECTS.billingEntitlementsChanged, org)).toHaveLength(1);
    expect(await outboxOf(EVENT_SUBJECTS.billingActivity, org)).toHaveLength(1);
    expect(await account(org)).toMatchObject({ tier_id: 'pro', revision: '2' });
  });
});

describe('stripe webhook: what Stripe says now, not what the event says', () => {
  it('updated(active) delivered before created(incomplete) → active', async () => {
    const org = await organization();
    const incomplete = subscribe(org, { status: 'incomplete' });
    const active = fake.setSubscription(incomplete.id, { status: 'active' });
    await deliver(fake.event('customer.subscription.updated', active));
    await deliver(fake.event('customer.subscription.created', incomplete));
    expect(await account(org)).toMatchObject({ tier_id: 'pro', status: 'active' });
  });

  it('a stale payload (active) while Stripe says past_due → past_due', async () => {
    const org = await organization();
    const stale = subscribe(org);
    fake.setSubscription(stale.id, { status: 'past_due' });
    await deliver(fake.event('customer.subscription.updated', stale));
    const row = await account(org);
    expect(row).toMatchObject({ tier_id: 'pro', status: 'past_due' });
    expect(row.past_due_since).not.toBeNull();
  });

  it("the old subscription's deleted after a new one → the new one stays", async () => {
    const org = await organization();
    const old = subscribe(org, { created: Math.floor(Date.now() / 1000) - 3600, quantity: 2 });
    await deliver(fake.event('customer.subscription.created', old));
    const renewed = subscribe(org, { quantity: 7 });
    await deliver(fake.event('customer.subscription.created', renewed));
    const ended = fake.setSubscription(old.id, { status: 'canceled' });
    await deliver(fake.event('customer.subscription.deleted', ended));
    expect(await account(org)).toMatchObject({
      tier_id: 'pro',
      status: 'active',
      subscription_id: renewed.id,
      seats: 7,
    });
  });

  it('two live subscriptions (two checkouts raced) → the newest applies, an error names the organization', async () => {
    const org = await organization();
    const first = subscribe(org, { created: Math.floor(Date.now() / 1000) - 60, quantity: 2 });
    await deliver(fake.event('customer.subscription.created', first));
    const error = vi.spyOn(h.service.deps.logger, 'error');
    try {
      const second = subscribe(org, { quantity: 4 });
      await deliver(fake.event('customer.subscription.created', second));
      expect(await account(org)).toMatchObject({ subscription_id: second.id, seats: 4 });
      expect(error).toHaveBeenCalledWith(
        { organizationId: org, subscriptionIds: [second.id, first.id] },
        expect.stringContaining('more than one live Stripe subscription'),
      );
      // Neither is canceled: which one to refund is an operator's call.
      expect(fake.requestsTo('DELETE', '/v1/subscriptions/')).toEqual([]);
    } finally {
      error.mockRestore();
    }
  });

  it('the only subscription deleted → back on free, active', async () => {
    const org = await organization();
    const subscription = subscribe(org);
    await deliver(fake.event('customer.subscription.created', subscription));
    const ended = fake.setSubscription(subscription.id, { status: 'canceled' });
    await deliver(fake.event('customer.subscription.deleted', ended));
    expect(await account(org)).toMatchObject({ tier_id: 'free', status: 'active', subscription_id: null });
    const actions = (await outboxOf(EVENT_SUBJECTS.billingActivity, org)).map((activity) => activity.action);
    expect(actions).toEqual(['subscription.started', 'subscription.canceled']);
  });
});

describe('stripe webhook: a completed checkout', () => {
  /** A checkout Gatehouse started for the organization (its row), paid on the fake's page; the deliveries it made. */
  async function paidCheckout(organizationId: string, startedFor = organizationId) {
    const sdk = new Stripe(fake.secretKey, { ...fake.sdkOptions(), maxNetworkRetries: 0 });
    const customer = await sdk.customers.create({ name: 'Acme', metadata: { organizationId } });
    const session = await sdk.checkout.sessions.create({
      mode: 'subscription',
      customer: customer.id,
      client_reference_id: organizationId,
      line_items: [{ price: PRO, quantity: 2 }],
      success_url: 'http://localhost:8080/done',
      subscription_data: { metadata: { organizationId } },
    });
    await sql(
      `insert into checkout_sessions (id, organization_id, tier_id, interval, seats, created_by_user_id)
       values (?, ?, 'pro', 'month', 2, ?)`,
      [session.id, startedFor, newId()],
    );
    let deliveries: { body: string; headers: Record<string, string> }[] = [];
    fake.onCheckoutPaid(async (made) => {
      deliveries = made;
    });
    const paid = await fetch(`${fake.url}/checkout/${session.id}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    return { customer, deliveries };
  }

  it('the three deliveries in any order → pro, the customer stored, started and invoice.paid recorded once', async () => {
    const org = await organization();
    const { customer, deliveries } = await paidCheckout(org);
    expect(deliveries).toHaveLength(3);
    for (const delivery of [deliveries[2]!, deliveries[0]!, deliveries[1]!]) {
      expect(await post(delivery)).toEqual({ status: 200, body: received(false) });
    }
    expect(await account(org)).toMatchObject({ tier_id: 'pro', seats: 2, stripe_customer_id: customer.id });
    const actions = (await outboxOf(EVENT_SUBJECTS.billingActivity, org)).map((activity) => activity.action);
    expect(actions).toEqual(['subscription.started', 'invoice.paid']);
    const [invoice] = await sql('select status, amount_paid from invoices where organization_id = ?', [org]);
    expect(invoice).toMatchObject({ status: 'paid' });
  });

  it('a session whose organization is not the one Gatehouse started it for → unmatched', async () => {
    const org = await organization();
    const { deliveries } = await paidCheckout(org, await organization());
    const completed = deliveries[0]!;
    expect(JSON.parse(completed.body).type).toBe('checkout.session.completed');
    expect(await post(completed)).toEqual({ status: 200, body: received(false) });
    expect(await account(org)).toMatchObject({ tier_id: 'free' });
    expect(await eventRows(JSON.parse(completed.body).id)).toEqual([expect.objectContaining({ outcome: 'unmatched' })]);
  });
});

describe('stripe webhook: invoices', () => {
  it('payment_failed → past_due with its start; invoice.paid after → active, no read-only deadline', async () => {
    const org = await organization();
    const subscription = subscribe(org);
    await deliver(fake.event('customer.subscription.created', subscription));

    fake.setSubscription(subscription.id, { status: 'past_due' });
    const open = fake.createInvoice({ customer: `cus_${org}`, subscription: subscription.id, status: 'open' });
    expect(await deliver(fake.event('invoice.payment_failed', open))).toEqual({ status: 200, body: received(false) });
    const owing = await account(org);
    expect(owing).toMatchObject({ status: 'past_due' });
    const since = Date.parse(owing.past_due_since);
    expect(since).toBeGreaterThan(Date.now() - 60_000);
    expect(Date.parse(owing.read_only_after) - since).toBe(604_800_000);
    const [invoice] = await sql('select * from invoices where id = ?', [open.id]);
    expect(invoice).toMatchObject({ organization_id: org, subscription_id: subscription.id, status: 'open' });

    fake.setSubscription(subscription.id, { status: 'active' });
    const paid = fake.createInvoice({ customer: `cus_${org}`, subscription: subscription.id, status: 'paid' });
    await deliver(fake.event('invoice.paid', paid));
    expect(await account(org)).toMatchObject({ status: 'active', past_due_since: null, read_only_after: null });

    const activities = await outboxOf(EVENT_SUBJECTS.billingActivity, org);
    expect(activities.map((activity) => activity.action)).toEqual([
      'subscription.started',
      'subscription.past_due',
      'invoice.payment_failed',
      'invoice.paid',
    ]);
    expect(activities[3]).toMatchObject({ target: { type: 'invoice', id: paid.id } });
    const published = await outboxOf(EVENT_SUBJECTS.billingEntitlementsChanged, org);
    expect(published.at(-1)).toMatchObject({ status: 'active', readOnlyAfter: null });
  });
});

describe('stripe webhook: an invoice read again', () => {
  it('a late payment_failed whose invoice is paid by now → no payment_failed recorded, nothing owed', async () => {
    const org = await organization();
    const subscription = subscribe(org);
    await deliver(fake.event('customer.subscription.created', subscription));
    const paid = fake.createInvoice({ customer: `cus_${org}`, subscription: subscription.id, status: 'paid' });
    const failedThen = fake.event('invoice.payment_failed', { ...paid, status: 'open' });
    expect(await deliver(failedThen)).toEqual({ status: 200, body: received(false) });
    expect(await account(org)).toMatchObject({ status: 'active', past_due_since: null });
    const actions = (await outboxOf(EVENT_SUBJECTS.billingActivity, org)).map((activity) => activity.action);
    expect(actions).toEqual(['subscription.started']);
  });

  it('a payment_failed delivered days late → the grace period counts from the event, not the delivery', async () => {
    const org = await organization();
    const subscription = subscribe(org);
    await deliver(fake.event('customer.subscription.created', subscription));
    fake.setSubscription(subscription.id, { status: 'past_due' });
    const open = fake.createInvoice({ customer: `cus_${org}`, subscription: subscription.id, status: 'open' });
    const created = Math.floor(Date.now() / 1000) - 2 * 86_400;
    await deliver(fake.event('invoice.payment_failed', open, { created }));
    const owing = await account(org);
    expect(owing).toMatchObject({ status: 'past_due' });
    expect(Date.parse(owing.past_due_since)).toBe(created * 1000);
  });
});

describe('stripe webhook: what it does not act on', () => {
  it('an event type it does not handle → 200, recorded as ignored, Stripe not read', async () => {
    const reads = fake.requests.length;
    const event = fake.event('customer.created', { id: 'cus_whoever', object: 'customer' });
    expect(await deliver(event)).toEqual({ status: 200, body: received(false) });
    expect(fake.requests.length).toBe(reads);
    expect(await eventRows(event.id)).toEqual([expect.objectContaining({ outcome: 'ignored' })]);
  });

  it('a subscription of no organization billing knows → 200 unmatched', async () => {
    const subscription = fake.createSubscription({ customer: 'cus_stranger', price: PRO });
    const event = fake.event('customer.subscription.created', subscription);
    expect(await deliver(event)).toEqual({ status: 200, body: received(false) });
    expect(await eventRows(event.id)).toEqual([
      expect.objectContaining({ outcome: 'unmatched', organization_id: null }),
    ]);
  });

  it('the organization deleted between matching and locking its account → 200 unmatched', async () => {
    const org = await organization();
    const event = fake.event('customer.subscription.created', subscribe(org));
    // The delete holds the row's lock: the delivery matches the organization (the row is still visible to it),
    // then waits on the lock; once the delete commits the row is gone.
    const { answer } = await h.service.deps.orm.em.fork().transactional(async (tx) => {
      await tx.execute('delete from billing_accounts where organization_id = ?', [org]);
      const answer = deliver(event);
      await eventually(async () => {
        const [waiting] = await sql(
          `select count(*)::int as n from pg_stat_activity where datname = current_database()
             and wait_event_type = 'Lock' and query ilike '%billing_accounts%for update%'`,
        );
        expect(waiting.n).toBe(1);
      });
      return { answer };
    });
    expect(await answer).toEqual({ status: 200, body: received(false) });
    expect(await eventRows(event.id)).toEqual([
      expect.objectContaining({ outcome: 'unmatched', organization_id: null }),
    ]);
    expect(await sql('select 1 from subscriptions where organization_id = ?', [org])).toEqual([]);
  });

  it('Stripe failing the re-read → 503 and no event row (Stripe retries; the retry applies it)', async () => {
    const org = await organization();
    const event = fake.event('customer.subscription.created', subscribe(org));
    fake.failNext('GET', '/v1/subscriptions/', 500);
    const answer = await deliver(event);
    expect(answer.status).toBe(503);
    expect(await eventRows(event.id)).toEqual([]);
    expect(await account(org)).toMatchObject({ tier_id: 'free' });
    expect(await deliver(event)).toEqual({ status: 200, body: received(false) });
    expect(await account(org)).toMatchObject({ tier_id: 'pro' });
  });
});
