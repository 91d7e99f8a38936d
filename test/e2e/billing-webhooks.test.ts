import { eventually } from '@gatehouse/service-kit/testing';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  billingKnows,
  billingPath,
  deliver,
  fieldsOf,
  post,
  subscriptionOf,
  tierEntitlements,
} from '../support/billing.js';
import type { ApiResponse, Json } from '../support/client.js';
import { signedInUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';
import { type FakeStripe, startFakeStripe } from '../support/stripe-server.js';

/**
 * Stripe's deliveries through the gateway, signed as Stripe signs them (fake.signedDelivery): a valid one changes
 * the plan; a tampered, unsigned, late or foreign one is refused and changes nothing; a redelivery changes nothing
 * twice (one audit record); reordered and stale payloads cannot undo what Stripe says now.
 */

let stack: Stack;
let fake: FakeStripe;
let owner: Awaited<ReturnType<typeof signedInUser>>;

beforeAll(async () => {
  fake = await startFakeStripe();
  stack = await startStack(
    { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' },
    {},
    { audit: true, billing: { stripe: fake } },
  );
  owner = await signedInUser(stack, 'Walt Webhooks');
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await fake?.close();
});

const PRO = 'price_pro_monthly';
const BUSINESS = 'price_business_monthly';
const now = () => Math.floor(Date.now() / 1000);

/** A new organization of the owner's, once billing has learnt it. */
async function organization(name: string): Promise<string> {
  const created = await owner.client.post('/api/user/organizations', { name });
  expect(created.status).toBe(201);
  const organizationId = created.body.data.id as string;
  await billingKnows(stack, organizationId);
  return organizationId;
}

/** A subscription at the fake Stripe, for the organization (checkout puts its id in the metadata). */
function subscription(
  organizationId: string,
  input: { status?: string; price?: string; quantity?: number; created?: number } = {},
): Stripe.Subscription {
  return fake.createSubscription({
    customer: `cus_${organizationId.slice(-14)}`,
    price: input.price ?? PRO,
    quantity: input.quantity ?? 3,
    status: input.status ?? 'active',
    metadata: { organizationId, tierId: 'pro' },
    ...(input.created !== undefined && { created: input.created }),
  });
}

const current = (organizationId: string) => subscriptionOf(owner.client, organizationId);

function accepted(res: ApiResponse, duplicate = false): void {
  expect(res.status).toBe(200);
  expect(res.body.data).toEqual({ received: true, duplicate });
}

function refusedSignature(res: ApiResponse, error?: string): void {
  expect(res.status).toBe(400);
  expect(res.body.code).toBe('VALIDATION_ERROR');
  expect(fieldsOf(res)).toEqual(['stripe-signature']);
  if (error) expect(res.body.meta.errors[0].error).toBe(error);
}

/** The organization's audit records of this action (ingestion is asynchronous: callers wait for what they expect). */
async function auditRecords(organizationId: string, action: string): Promise<Json[]> {
  const res = await owner.client.get(`${billingPath(organizationId)}/audit-logs?action=${action}&limit=100`);
  expect(res.status).toBe(200);
  return res.body.data;
}

/**
 * Exactly one `subscription.started` in the organization's log. A later invoice is delivered as a marker: once its
 * record is in, anything the earlier deliveries recorded is in too.
 */
async function expectOneStarted(organizationId: string, sub: Stripe.Subscription): Promise<void> {
  const invoice = fake.createInvoice({ customer: String(sub.customer), subscription: sub.id, status: 'paid' });
  accepted(await deliver(stack, fake, fake.event('invoice.paid', invoice)));
  await eventually(async () => {
    const [paid] = await auditRecords(organizationId, 'invoice.paid');
    if (!paid) throw new Error('the marker is not in the log yet');
  }, 20_000);
  const started = await auditRecords(organizationId, 'subscription.started');
  expect(started).toHaveLength(1);
  expect(started[0]).toMatchObject({
    action: 'subscription.started',
    actor: { type: 'system', id: 'stripe' },
    target: { type: 'subscription', id: sub.id, name: 'Pro' },
  });
}

describe('stripe webhooks through the gateway: signatures', () => {
  it('applies a valid subscription.created: the organization is on Pro with its seats', async () => {
    const org = await organization('Signed Co');
    const sub = subscription(org, { quantity: 4 });
    accepted(await deliver(stack, fake, fake.event('customer.subscription.created', sub)));
    expect(await current(org)).toMatchObject({
      tierId: 'pro',
      tierName: 'Pro',
      status: 'active',
      seats: 4,
      interval: 'month',
      cancelAtPeriodEnd: false,
      readOnly: false,
      entitlements: { ...tierEntitlements('pro'), maxMembers: 4 },
    });
  });

  it('refuses a body changed by one byte, naming stripe-signature, and changes nothing', async () => {
    const org = await organization('Tampered Co');
    const event = fake.event('customer.subscription.created', subscription(org));
    const delivery = fake.signedDelivery(event);
    const index = delivery.body.indexOf('"quantity": 3');
    expect(index).toBeGreaterThan(0);
    const body = `${delivery.body.slice(0, index)}"quantity": 9${delivery.body.slice(index + '"quantity": 3'.length)}`;
    expect(body.length).toBe(delivery.body.length);
    refusedSignature(await post(stack, { ...delivery, body }), 'signature does not match');
    expect((await current(org)).tierId).toBe('free');
    // The untouched delivery still applies: the refusal did not mark the event handled.
    accepted(await post(stack, delivery));
    expect((await current(org)).tierId).toBe('pro');
  });

  it('refuses a wrong secret, another endpoint’s signature, a stale timestamp and a missing header', async () => {
    const org = await organization('Refused Co');
    const event = fake.event('customer.subscription.created', subscription(org));
    refusedSignature(
      await deliver(stack, fake, event, { secret: 'whsec_wrongwrongwrongwrongwrong' }),
      'signature does not match',
    );
    // Stripe signs each endpoint's deliveries with that endpoint's secret: another endpoint's header is no good here.
    const otherEndpoint = fake.signedDelivery(event, { secret: 'whsec_anotherEndpointSecret0123456789' });
    refusedSignature(await post(stack, { body: fake.signedDelivery(event).body, headers: otherEndpoint.headers }));
    // A header signed for another delivery does not cover this body.
    const other = fake.signedDelivery(fake.event('customer.subscription.updated', subscription(org)));
    refusedSignature(await post(stack, { body: fake.signedDelivery(event).body, headers: other.headers }));
    refusedSignature(await deliver(stack, fake, event, { timestamp: now() - 301 }), 'timestamp outside the tolerance');
    const unsigned = fake.signedDelivery(event);
    refusedSignature(
      await post(stack, { body: unsigned.body, headers: { 'content-type': 'application/json' } }),
      'missing',
    );
    refusedSignature(
      await post(stack, { body: unsigned.body, headers: { ...unsigned.headers, 'stripe-signature': 't=1,v1=00' } }),
    );
    expect((await current(org)).tierId).toBe('free');
    // Within the tolerance is fine.
    accepted(await deliver(stack, fake, event, { timestamp: now() - 120 }));
    expect((await current(org)).tierId).toBe('pro');
  });

  it('answers 200 to an event type it does not handle, and changes nothing', async () => {
    const org = await organization('Unknown Co');
    const product = { id: 'prod_unknown', object: 'product', name: 'Something', metadata: { organizationId: org } };
    accepted(await deliver(stack, fake, fake.event('product.created', product)));
    expect((await current(org)).tierId).toBe('free');
  });
});

describe('stripe webhooks through the gateway: redeliveries and ordering', () => {
  it('applies a sequential redelivery once: duplicate:true, one subscription.started record', async () => {
    const org = await organization('Twice Co');
    const sub = subscription(org);
    const delivery = fake.signedDelivery(fake.event('customer.subscription.created', sub));
    accepted(await post(stack, delivery));
    accepted(await post(stack, delivery), true);
    expect(await current(org)).toMatchObject({ tierId: 'pro', seats: 3 });
    await expectOneStarted(org, sub);
  });

  it('applies concurrent deliveries of one event once', async () => {
    const org = await organization('Race Co');
    const sub = subscription(org);
    const delivery = fake.signedDelivery(fake.event('customer.subscription.created', sub));
    const answers = await Promise.all([post(stack, delivery), post(stack, delivery), post(stack, delivery)]);
    for (const answer of answers) expect(answer.status).toBe(200);
    const duplicates = answers.map((answer) => answer.body.data.duplicate as boolean).sort();
    expect(duplicates).toEqual([false, true, true]);
    expect(await current(org)).toMatchObject({ tierId: 'pro', seats: 3 });
    await expectOneStarted(org, sub);
  });

  it('ends on active when updated(active) arrives before created(incomplete)', async () => {
    const org = await organization('Reordered Co');
    const incomplete = subscription(org, { status: 'incomplete' });
    const created = fake.event('customer.subscription.created', incomplete);
    const active = fake.setSubscription(incomplete.id, { status: 'active' });
    accepted(await deliver(stack, fake, fake.event('customer.subscription.updated', active)));
    accepted(await deliver(stack, fake, created));
    expect(await current(org)).toMatchObject({ tierId: 'pro', status: 'active', seats: 3 });
  });

  it('follows what Stripe says now over a stale payload: past_due', async () => {
    const org = await organization('Late Payer Co');
    const sub = subscription(org);
    accepted(await deliver(stack, fake, fake.event('customer.subscription.created', sub)));
    expect((await current(org)).status).toBe('active');
    fake.setSubscription(sub.id, { status: 'past_due' });
    // The payload still says active (a delivery made before the payment failed).
    accepted(await deliver(stack, fake, fake.event('customer.subscription.updated', sub)));
    const state = await current(org);
    expect(state).toMatchObject({ tierId: 'pro', status: 'past_due', readOnly: false });
    expect(state.pastDueSince).not.toBeNull();
    expect(state.graceEndsAt).not.toBeNull();
  });

  it('keeps the new subscription when the old one’s deleted arrives after it', async () => {
    const org = await organization('Upgraded Co');
    const old = subscription(org, { created: now() - 3600 });
    accepted(await deliver(stack, fake, fake.event('customer.subscription.created', old)));
    expect((await current(org)).tierId).toBe('pro');
    const replacement = subscription(org, { price: BUSINESS, quantity: 5 });
    accepted(await deliver(stack, fake, fake.event('customer.subscription.created', replacement)));
    const ended = fake.setSubscription(old.id, { status: 'canceled' });
    accepted(await deliver(stack, fake, fake.event('customer.subscription.deleted', ended)));
    expect(await current(org)).toMatchObject({ tierId: 'business', status: 'active', seats: 5 });
    expect((await current(org)).entitlements).toEqual({ ...tierEntitlements('business'), maxMembers: 5 });
  });
});
