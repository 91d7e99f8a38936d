import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeStripe } from '../../../test/support/stripe-server.js';
import { type BillingHarness, createOrganization, sql, startBilling, streamEvents } from './harness.js';

let h: BillingHarness;
let stripe: FakeStripe;
beforeAll(async () => {
  h = await startBilling();
  stripe = h.stripe!;
});
afterAll(() => h.close());

const account = async (organizationId: string) =>
  (
    await sql<{ organization_name: string; revision: string }>(
      h,
      'select organization_name, revision from billing_accounts where organization_id = ?',
      [organizationId],
    )
  )[0];

const publishedFor = async (organizationId: string) =>
  (await streamEvents(h, EVENT_SUBJECTS.billingEntitlementsChanged)).filter(
    (event) => event.data.organizationId === organizationId,
  );

/** An organization on Pro with a live Stripe subscription and a row in every billing table. */
async function paidOrganization(name: string) {
  const organization = await createOrganization(h, name);
  const { organizationId } = organization;
  const subscription = stripe.createSubscription({
    customer: `cus_${newId()}`,
    price: 'price_pro_monthly',
    quantity: 3,
  });
  await sql(
    h,
    `update billing_accounts set subscription_id = ?, tier_id = 'pro', status = 'active', seats = 3,
       stripe_customer_id = ? where organization_id = ?`,
    [subscription.id, subscription.customer, organizationId],
  );
  await sql(
    h,
    `insert into subscriptions (id, organization_id, customer_id, stripe_status, price_id, tier_id, interval, quantity,
       cancel_at_period_end, stripe_created, synced_at)
     values (?, ?, ?, 'active', 'price_pro_monthly', 'pro', 'month', 3, false, now(), now())`,
    [subscription.id, organizationId, subscription.customer],
  );
  await sql(
    h,
    `insert into invoices (id, organization_id, subscription_id, status, currency, amount_due, amount_paid,
       stripe_created, synced_at) values (?, ?, ?, 'paid', 'usd', 6000, 6000, now(), now())`,
    [`in_${newId()}`, organizationId, subscription.id],
  );
  await sql(
    h,
    `insert into checkout_sessions (id, organization_id, tier_id, interval, seats, created_by_user_id)
     values (?, ?, 'pro', 'month', 3, ?)`,
    [`cs_${newId()}`, organizationId, newId()],
  );
  await sql(h, 'insert into billing_settings (organization_id, company_name, updated_at) values (?, ?, now())', [
    organizationId,
    name,
  ]);
  return { organization, subscription };
}

const rowsOf = async (organizationId: string) => {
  const counts: Record<string, number> = {};
  for (const table of ['billing_accounts', 'subscriptions', 'invoices', 'checkout_sessions', 'billing_settings']) {
    const [row] = await sql<{ n: number }>(h, `select count(*)::int as n from ${table} where organization_id = ?`, [
      organizationId,
    ]);
    counts[table] = row?.n ?? 0;
  }
  return counts;
};

/** A Stripe delivery, signed as Stripe signs it, POSTed as the gateway forwards it. */
async function deliver(event: Stripe.Event): Promise<{ status: number }> {
  const { body, headers } = stripe.signedDelivery(event);
  const principal = await h.service.as({ kind: 'anonymous' });
  const response = await h.service.app.inject({
    method: 'POST',
    url: '/api/webhooks/stripe',
    payload: body,
    headers: { ...headers, ...principal },
  });
  return { status: response.statusCode };
}

const cancelCallsFor = (subscriptionId: string) =>
  stripe.requestsTo('DELETE', '/v1/subscriptions/').filter((entry) => entry.path.endsWith(subscriptionId));

describe('organization events', () => {
  it('creates the account once, however often the creation arrives', async () => {
    const organization = await createOrganization(h, 'Twice Co');
    await h.publish(EVENT_SUBJECTS.organizationCreated, organization);
    const marker = await createOrganization(h, 'After Twice');
    expect(await account(marker.organizationId)).toBeDefined();
    expect(await account(organization.organizationId)).toMatchObject({ organization_name: 'Twice Co', revision: '1' });
    await eventually(async () => expect(await publishedFor(organization.organizationId)).toHaveLength(1), 10_000);
  });

  it('renames the account without publishing anything new', async () => {
    const organization = await createOrganization(h, 'Old Name');
    await h.publish(EVENT_SUBJECTS.organizationUpdated, { ...organization, name: 'New Name' });
    await eventually(async () =>
      expect(await account(organization.organizationId)).toMatchObject({
        organization_name: 'New Name',
        revision: '1',
      }),
    );
    await eventually(async () => expect(await publishedFor(organization.organizationId)).toHaveLength(1), 10_000);
  });

  it('opens an account from an update when the creation never reached billing', async () => {
    const organization = { organizationId: newId(), name: 'Older Than Billing', slug: 'older-than-billing' };
    await h.publish(EVENT_SUBJECTS.organizationUpdated, organization);
    await eventually(async () =>
      expect(await account(organization.organizationId)).toMatchObject({ organization_name: 'Older Than Billing' }),
    );
  });
});

describe('a deleted organization', () => {
  it('takes its billing rows with it and has its subscription canceled at Stripe', async () => {
    const { organization, subscription } = await paidOrganization('Gone Paying');
    await h.publish(EVENT_SUBJECTS.organizationDeleted, organization);
    await eventually(async () => {
      expect(Object.values(await rowsOf(organization.organizationId))).toEqual([0, 0, 0, 0, 0]);
      expect(cancelCallsFor(subscription.id)).toHaveLength(1);
      expect(await sql(h, 'select 1 from pending_cancellations where subscription_id = ?', [subscription.id])).toEqual(
        [],
      );
    }, 10_000);
    expect(cancelCallsFor(subscription.id)[0]?.idempotencyKey).toMatch(new RegExp(`^cancel:${subscription.id}:\\d+$`));
    expect(stripe.subscription(subscription.id)?.status).toBe('canceled');
  });

  it('keeps trying when Stripe fails, backing off, until the cancellation goes through', async () => {
    stripe.failNext('DELETE', '/v1/subscriptions/', 500);
    const { organization, subscription } = await paidOrganization('Gone Retrying');
    await h.publish(EVENT_SUBJECTS.organizationDeleted, organization);
    const [pending] = await eventually(async () => {
      const rows = await sql<{ attempts: number; later: boolean }>(
        h,
        'select attempts, next_attempt_at > now() as later from pending_cancellations where subscription_id = ?',
        [subscription.id],
      );
      expect(rows[0]?.attempts).toBeGreaterThanOrEqual(1);
      return rows;
    }, 10_000);
    expect(pending?.later).toBe(true);
    await eventually(async () => {
      expect(await sql(h, 'select 1 from pending_cancellations where subscription_id = ?', [subscription.id])).toEqual(
        [],
      );
    }, 15_000);
    expect(cancelCallsFor(subscription.id)).toHaveLength(2);
    expect(stripe.subscription(subscription.id)?.status).toBe('canceled');
  });

  it('is done with a subscription Stripe has already canceled', async () => {
    const { organization, subscription } = await paidOrganization('Gone Already');
    stripe.setSubscription(subscription.id, { status: 'canceled' });
    await h.publish(EVENT_SUBJECTS.organizationDeleted, organization);
    await eventually(async () => {
      expect(cancelCallsFor(subscription.id)).toHaveLength(1);
      expect(await sql(h, 'select 1 from pending_cancellations where subscription_id = ?', [subscription.id])).toEqual(
        [],
      );
    }, 10_000);
  });

  it('queues nothing for an organization on Free', async () => {
    const organization = await createOrganization(h, 'Gone Free');
    await h.publish(EVENT_SUBJECTS.organizationDeleted, organization);
    await eventually(async () => expect(await account(organization.organizationId)).toBeUndefined());
    expect(
      await sql(h, 'select 1 from pending_cancellations where organization_id = ?', [organization.organizationId]),
    ).toEqual([]);
  });

  it('cancels a subscription that starts after its organization was deleted (a checkout left open), once', async () => {
    const organization = await createOrganization(h, 'Gone Mid Checkout');
    const { organizationId } = organization;
    await h.publish(EVENT_SUBJECTS.organizationDeleted, organization);
    await eventually(async () => expect(await account(organizationId)).toBeUndefined(), 10_000);

    // The checkout Gatehouse opened before the deletion is paid now: Stripe starts the subscription.
    const subscription = stripe.createSubscription({
      customer: `cus_${newId()}`,
      price: 'price_pro_monthly',
      quantity: 2,
      metadata: { organizationId },
    });
    const event = stripe.event('customer.subscription.created', subscription);
    expect(await deliver(event)).toMatchObject({ status: 200 });
    await eventually(async () => {
      expect(cancelCallsFor(subscription.id)).toHaveLength(1);
      expect(await sql(h, 'select 1 from pending_cancellations where subscription_id = ?', [subscription.id])).toEqual(
        [],
      );
    }, 10_000);
    expect(stripe.subscription(subscription.id)?.status).toBe('canceled');
    expect(await sql(h, 'select outcome, organization_id from stripe_events where id = ?', [event.id])).toEqual([
      { outcome: 'unmatched', organization_id: null },
    ]);
    expect(await account(organizationId)).toBeUndefined();

    // Its deleted event, and any later one, names a subscription that is over: nothing more is queued.
    expect(
      await deliver(stripe.event('customer.subscription.deleted', stripe.subscription(subscription.id))),
    ).toMatchObject({ status: 200 });
    expect(await sql(h, 'select 1 from pending_cancellations where subscription_id = ?', [subscription.id])).toEqual(
      [],
    );
  });
});
