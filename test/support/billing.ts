import { readFileSync } from 'node:fs';
import { eventually } from '@gatehouse/service-kit/testing';
import type Stripe from 'stripe';
import type { ApiClient, ApiResponse, Json } from './client.js';
import type { Stack } from './stack.js';
import type { FakeStripe } from './stripe-server.js';

/** Billing through the gateway as a real client meets it: Stripe's deliveries, checkouts paid on the fake Stripe. */

export const WEBHOOK_PATH = '/api/webhooks/stripe';

interface PlanTier {
  id: string;
  entitlements: Record<string, unknown>;
}

/** The checked-in plans file: what the suites expect each tier to grant. */
export const PLANS = JSON.parse(
  readFileSync(new URL('../../services/billing/plans.json', import.meta.url), 'utf8'),
) as { tiers: PlanTier[] };

export function tierEntitlements(tierId: string): Record<string, unknown> {
  const tier = PLANS.tiers.find((candidate) => candidate.id === tierId);
  if (!tier) throw new Error(`plans.json has no tier ${tierId}`);
  return tier.entitlements;
}

export type Delivery = { body: string; headers: Record<string, string> };

/** POSTs one delivery to the gateway exactly as Stripe would: the raw body and its headers, no credential. */
export async function post(stack: Stack, delivery: Delivery): Promise<ApiResponse> {
  const response = await fetch(new URL(WEBHOOK_PATH, stack.urls.gateway), {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

/** Signs the event as Stripe does (optionally with another timestamp or secret) and delivers it. */
export function deliver(
  stack: Stack,
  fake: FakeStripe,
  event: Stripe.Event,
  opts?: { timestamp?: number; secret?: string },
): Promise<ApiResponse> {
  return post(stack, fake.signedDelivery(event, opts));
}

/** The billing service's own rows: used only to wait for an event to have reached it, never to assert. */
function billingRows(stack: Stack, query: string, params: unknown[]): Promise<Json[]> {
  if (!stack.billing) throw new Error('the stack runs without billing');
  return stack.billing.deps.orm.em.fork().execute(query, params) as Promise<Json[]>;
}

/**
 * Waits until billing has learnt the organization (its account, from organization.created). Members need no wait:
 * billing asks organization about a membership or the member count it has not heard of yet.
 */
export async function billingKnows(stack: Stack, organizationId: string): Promise<void> {
  await eventually(async () => {
    const [account] = await billingRows(stack, 'select 1 from billing_accounts where organization_id = ?', [
      organizationId,
    ]);
    if (!account) throw new Error('billing has not learnt the organization yet');
  }, 45_000);
}

export const billingPath = (organizationId: string) => `/api/user/organizations/${organizationId}`;

/** The subscription as the API answers it. */
export async function subscriptionOf(client: ApiClient, organizationId: string): Promise<Json> {
  const read = await client.get(`${billingPath(organizationId)}/subscription`);
  if (read.status !== 200) throw new Error(`subscription answered ${read.status}: ${JSON.stringify(read.body)}`);
  return read.body.data;
}

/** Redirect URLs on the deployment's own origin (the default allow-list). */
export function redirects(stack: Stack, organizationId: string) {
  const page = `${stack.urls.gateway}/orgs/${organizationId}/billing`;
  return { successUrl: `${page}?checkout=success`, cancelUrl: `${page}?checkout=cancel` };
}

export interface Subscribed {
  sessionId: string;
  customerId: string;
  subscriptionId: string;
}

/**
 * Drives a paid plan end to end: a checkout through the gateway, the Pay button on the fake Stripe's page, and
 * Stripe's signed deliveries (checkout completed, subscription created, first invoice paid) handed to the gateway.
 * Resolves once the organization is on the tier.
 */
export async function subscribeOrg(
  stack: Stack,
  fake: FakeStripe,
  owner: { client: ApiClient },
  organizationId: string,
  plan: { tierId: string; interval?: 'month' | 'year'; seatCount?: number } = { tierId: 'pro', seatCount: 2 },
): Promise<Subscribed> {
  const started = await owner.client.post(`${billingPath(organizationId)}/payments/checkout`, {
    tierId: plan.tierId,
    interval: plan.interval ?? 'month',
    ...(plan.seatCount !== undefined && { seatCount: plan.seatCount }),
    ...redirects(stack, organizationId),
  });
  if (started.status !== 201) throw new Error(`checkout answered ${started.status}: ${JSON.stringify(started.body)}`);
  const { sessionId } = started.body.data as { sessionId: string };
  const answers: number[] = [];
  const seen: { subscription?: Stripe.Subscription } = {};
  fake.onCheckoutPaid(async (deliveries) => {
    for (const delivery of deliveries) {
      const event = JSON.parse(delivery.body) as Stripe.Event;
      if (event.type === 'customer.subscription.created') seen.subscription = event.data.object as Stripe.Subscription;
      answers.push((await post(stack, delivery)).status);
    }
  });
  const paid = await fetch(`${fake.url}/checkout/${sessionId}/pay`, { method: 'POST', redirect: 'manual' });
  if (paid.status !== 303) throw new Error(`the fake checkout page answered ${paid.status}`);
  if (answers.length !== 3 || answers.some((status) => status !== 200) || !seen.subscription) {
    throw new Error(`the gateway answered the deliveries ${answers.join(', ')}`);
  }
  await eventually(async () => {
    const current = await subscriptionOf(owner.client, organizationId);
    if (current.tierId !== plan.tierId) throw new Error(`still on ${current.tierId}`);
  }, 20_000);
  const { id, customer } = seen.subscription;
  return { sessionId, customerId: String(customer), subscriptionId: id };
}

/** The checkout sessions billing asked the fake Stripe for on behalf of this organization. */
export function checkoutRequests(fake: FakeStripe, organizationId: string) {
  return fake
    .requestsTo('POST', '/v1/checkout/sessions')
    .filter((entry) => entry.body.client_reference_id === organizationId);
}

/** The customers billing created for this organization (POST /v1/customers itself, not its updates). */
export function customerCreations(fake: FakeStripe, organizationId: string) {
  return fake
    .requestsTo('POST', '/v1/customers')
    .filter((entry) => entry.path === '/v1/customers')
    .filter((entry) => (entry.body.metadata as Record<string, string> | undefined)?.organizationId === organizationId);
}

/** The field names of a 400's errors. */
export function fieldsOf(res: ApiResponse): string[] {
  return ((res.body?.meta?.errors ?? []) as { field: string }[]).map((error) => error.field);
}
