import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthenticatedPrincipal, EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import type { Subscription } from 'nats';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerMemberCount,
  type BillingHarness,
  sql as billingRows,
  personPrincipal,
  startBilling,
} from './harness.js';

/**
 * Checkout and portal through the billing app as the gateway forwards them, against the fake Stripe. Accounts and
 * memberships are written directly (what the organization events would have made); the organization service's
 * member count is answered from `memberCounts`.
 */

// biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
type Rows = any[];
type Role = 'owner' | 'admin' | 'member';

const PLANS = {
  version: 1,
  tiers: [
    {
      id: 'free',
      name: 'Free',
      seatBased: false,
      prices: null,
      entitlements: { maxProjects: 3, maxMembers: 3, ssoAllowed: false, auditRetentionDays: 30 },
    },
    {
      id: 'pro',
      name: 'Pro',
      seatBased: true,
      prices: { month: 'price_pro_m', year: 'price_pro_y' },
      entitlements: { maxProjects: 25, maxMembers: 'seats', ssoAllowed: false, auditRetentionDays: 90 },
    },
    {
      id: 'team',
      name: 'Team',
      seatBased: false,
      prices: { month: 'price_team_m', year: 'price_team_y' },
      entitlements: { maxProjects: 10, maxMembers: 20, ssoAllowed: false, auditRetentionDays: 90 },
    },
  ],
};

const APP = 'http://localhost:8080';
const urls = { successUrl: `${APP}/orgs/x/billing?done=1`, cancelUrl: `${APP}/orgs/x/billing` };

function sqlOf(h: BillingHarness) {
  return (query: string, params: unknown[] = []): Promise<Rows> => billingRows<Rows[number]>(h, query, params);
}

/** The organization service's member count of each organization the tests made (absent: it does not know it). */
const memberCounts = new Map<string, number>();
const answerCounts = (h: BillingHarness) => answerMemberCount(h, (id) => memberCounts.get(id) ?? null);

/** A free organization billing knows, with one person per role asked for. */
async function organization(h: BillingHarness, roles: Role[] = ['owner']) {
  const sql = sqlOf(h);
  const id = newId();
  await sql(
    `insert into billing_accounts (organization_id, organization_name, tier_id, status, entitlements)
     values (?, 'Acme', 'free', 'active', ?::jsonb)`,
    [id, JSON.stringify(PLANS.tiers[0]!.entitlements)],
  );
  const people: AuthenticatedPrincipal[] = [];
  for (const role of roles) {
    const person = personPrincipal(newId());
    await sql('insert into memberships (organization_id, user_id, role) values (?, ?, ?)', [id, person.userId, role]);
    people.push(person);
  }
  memberCounts.set(id, roles.length);
  return { id, people };
}

/**
 * Members only: an organization older than billing, whose organization.created left the stream before it ran.
 * Billing's copy has the owner alone; the organization service counts `members`.
 */
async function olderThanBilling(h: BillingHarness, members = 1) {
  const owner = personPrincipal(newId());
  const id = newId();
  memberCounts.set(id, members);
  await sqlOf(h)('insert into memberships (organization_id, user_id, role) values (?, ?, ?)', [
    id,
    owner.userId,
    'owner',
  ]);
  return { id, owner };
}

function caller(h: BillingHarness) {
  return async (as: AuthenticatedPrincipal, url: string, body: object) => {
    const response = await h.service.app.inject({
      method: 'POST',
      url,
      headers: await h.service.as(as),
      payload: body,
    });
    return { status: response.statusCode, body: response.json() };
  };
}

const checkoutOf = (id: string) => `/api/user/organizations/${id}/payments/checkout`;
const portalOf = (id: string) => `/api/user/organizations/${id}/payments/portal`;

describe('checkout and portal with Stripe', () => {
  let h: BillingHarness;
  let sql: ReturnType<typeof sqlOf>;
  let post: ReturnType<typeof caller>;
  let counts: Subscription;

  beforeAll(async () => {
    const file = join(tmpdir(), `billing-plans-${newId()}.json`);
    writeFileSync(file, JSON.stringify(PLANS));
    h = await startBilling({ overrides: { BILLING_PLANS_FILE: file } });
    counts = await answerCounts(h);
    sql = sqlOf(h);
    post = caller(h);
  });
  afterAll(async () => h?.close());

  it('answers the fake Checkout page and makes the customer once across two checkouts', async () => {
    const { id, people } = await organization(h, ['owner', 'member']);
    const owner = people[0]!;
    const customersBefore = h.stripe!.requestsTo('POST', '/v1/customers').length;

    const first = await post(owner, checkoutOf(id), { tierId: 'pro', interval: 'month', seatCount: 2, ...urls });
    expect(first.status).toBe(201);
    expect(first.body.data.url).toBe(`${h.stripe!.url}/checkout/${first.body.data.sessionId}`);
    expect(Date.parse(first.body.data.expiresAt)).toBeGreaterThan(Date.now());

    const second = await post(owner, checkoutOf(id), { tierId: 'team', interval: 'year', ...urls });
    expect(second.status).toBe(201);
    expect(second.body.data.sessionId).not.toBe(first.body.data.sessionId);

    const created = h.stripe!.requestsTo('POST', '/v1/customers').slice(customersBefore);
    expect(created).toHaveLength(1);
    expect(created[0]!.idempotencyKey).toMatch(new RegExp(`^customer:${id}:[0-9a-f]{16}$`));
    expect(created[0]!.body).toMatchObject({ name: 'Acme', metadata: { organizationId: id } });
    const [account] = await sql('select stripe_customer_id from billing_accounts where organization_id = ?', [id]);
    expect(account.stripe_customer_id).toMatch(/^cus_/);

    const sessions = h.stripe!.requestsTo('POST', '/v1/checkout/sessions');
    const firstSession = sessions.find((entry) => entry.body.client_reference_id === id)!;
    expect(firstSession.body).toMatchObject({
      mode: 'subscription',
      customer: account.stripe_customer_id,
      line_items: [{ price: 'price_pro_m', quantity: '2' }],
      success_url: urls.successUrl,
      cancel_url: urls.cancelUrl,
      subscription_data: { metadata: { organizationId: id, tierId: 'pro' } },
      metadata: { organizationId: id },
    });
    expect(sessions.at(-1)!.body.line_items).toEqual([{ price: 'price_team_y', quantity: '1' }]);

    const rows = await sql(
      'select id, tier_id, interval, seats, created_by_user_id from checkout_sessions where organization_id = ? order by created_at',
      [id],
    );
    expect(rows).toEqual([
      { id: first.body.data.sessionId, tier_id: 'pro', interval: 'month', seats: 2, created_by_user_id: owner.userId },
      { id: second.body.data.sessionId, tier_id: 'team', interval: 'year', seats: 1, created_by_user_id: owner.userId },
    ]);
    const activities = await sql(
      `select payload from outbox_events where subject = ? and payload->'data'->>'organizationId' = ? order by id`,
      [EVENT_SUBJECTS.billingActivity, id],
    );
    expect(activities.map((row) => row.payload.data)).toEqual([
      expect.objectContaining({
        action: 'billing.checkout_started',
        userId: owner.userId,
        target: { type: 'subscription', id: first.body.data.sessionId, name: 'Pro' },
        changes: { tierId: { after: 'pro' }, interval: { after: 'month' }, seats: { after: 2 } },
      }),
      expect.objectContaining({ action: 'billing.checkout_started', userId: owner.userId }),
    ]);
  });

  it.each([
    ['successUrl', { successUrl: 'https://evil.example/pay' }],
    ['cancelUrl', { cancelUrl: 'http://localhost:8081/orgs/x/billing' }],
    ['tierId', { tierId: 'free' }],
    ['tierId', { tierId: 'enterprise' }],
    ['seatCount', { seatCount: undefined }],
    ['seatCount', { seatCount: 2 }],
    ['seatCount', { tierId: 'team', seatCount: 3 }],
  ])('refuses with 400 naming %s', async (field, change) => {
    const { id, people } = await organization(h, ['owner', 'member', 'member']);
    const body = { tierId: 'pro', interval: 'month', seatCount: 3, ...urls, ...change };
    const answer = await post(people[0]!, checkoutOf(id), body);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('VALIDATION_ERROR');
    expect(answer.body.meta.errors).toEqual([expect.objectContaining({ field, location: 'body' })]);
    expect(await sql('select id from checkout_sessions where organization_id = ?', [id])).toEqual([]);
  });

  it("counts the seats against the organization service's members, not billing's copy of them", async () => {
    const { id, owner } = await olderThanBilling(h, 3);
    const body = { tierId: 'pro', interval: 'month', ...urls };
    const refused = await post(owner, checkoutOf(id), { ...body, seatCount: 2 });
    expect(refused.status).toBe(400);
    expect(refused.body.meta.errors).toEqual([
      { field: 'seatCount', location: 'body', error: "must cover the organization's 3 current members" },
    ]);
    expect((await post(owner, checkoutOf(id), { ...body, seatCount: 3 })).status).toBe(201);
  });

  it('answers 404 for an organization the organization service does not know, 503 when it does not answer', async () => {
    const { id, owner } = await olderThanBilling(h);
    const body = { tierId: 'pro', interval: 'month', seatCount: 5, ...urls };
    memberCounts.delete(id);
    const unknown = await post(owner, checkoutOf(id), body);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');

    memberCounts.set(id, 1);
    counts.unsubscribe();
    try {
      const unanswered = await post(owner, checkoutOf(id), body);
      expect(unanswered.status).toBe(503);
      expect(unanswered.body.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      counts = await answerCounts(h);
    }
    expect(await sql('select id from checkout_sessions where organization_id = ?', [id])).toEqual([]);
    // A flat-priced tier takes no seats: it does not ask.
    expect((await post(owner, checkoutOf(id), { tierId: 'team', interval: 'year', ...urls })).status).toBe(201);
  });

  it('makes the customer with a profile changed since an attempt whose answer was lost', async () => {
    const { id, people } = await organization(h);
    const owner = people[0]!;
    const saveProfile = async (companyName: string) => {
      const saved = await h.service.app.inject({
        method: 'PUT',
        url: `/api/user/organizations/${id}/settings/billing`,
        headers: await h.service.as(owner),
        payload: { billingEmail: null, companyName, address: null, taxId: null },
      });
      expect(saved.statusCode).toBe(200);
    };
    const body = { tierId: 'pro', interval: 'month', seatCount: 1, ...urls };
    const before = h.stripe!.requestsTo('POST', '/v1/customers').length;

    // Stripe made the customer, then the checkout failed and its customer was never stored (as if the answer
    // had been lost): Stripe keeps that key's answer, for those parameters only.
    await saveProfile('First Name GmbH');
    h.stripe!.failNext('POST', '/v1/checkout/sessions', 500);
    expect((await post(owner, checkoutOf(id), body)).status).toBe(503);
    await sql('update billing_accounts set stripe_customer_id = null where organization_id = ?', [id]);

    await saveProfile('Second Name GmbH');
    const retried = await post(owner, checkoutOf(id), body);
    expect(retried.status).toBe(201);
    const [first, second] = h.stripe!.requestsTo('POST', '/v1/customers').slice(before);
    expect(first!.body).toMatchObject({ name: 'First Name GmbH' });
    expect(second!.body).toMatchObject({ name: 'Second Name GmbH' });
    expect(second!.idempotencyKey).not.toBe(first!.idempotencyKey);
    const [account] = await sql('select stripe_customer_id from billing_accounts where organization_id = ?', [id]);
    const stripe = new Stripe(h.stripe!.secretKey, { ...h.stripe!.sdkOptions(), maxNetworkRetries: 0 });
    expect((await stripe.customers.retrieve(account.stripe_customer_id)) as Stripe.Customer).toMatchObject({
      name: 'Second Name GmbH',
    });
  });

  it('answers 409 ALREADY_SUBSCRIBED while a paid subscription runs, and checks out again once it is canceled', async () => {
    const { id, people } = await organization(h);
    await sql(
      `update billing_accounts set subscription_id = 'sub_running', status = 'past_due' where organization_id = ?`,
      [id],
    );
    const body = { tierId: 'pro', interval: 'month', seatCount: 1, ...urls };
    const refused = await post(people[0]!, checkoutOf(id), body);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'CONFLICT', meta: { reason: 'ALREADY_SUBSCRIBED' } });

    await sql(`update billing_accounts set status = 'canceled' where organization_id = ?`, [id]);
    expect((await post(people[0]!, checkoutOf(id), body)).status).toBe(201);
  });

  it('is for owners only: an admin gets 403 INSUFFICIENT_PERMISSIONS', async () => {
    const { id, people } = await organization(h, ['owner', 'admin']);
    const admin = people[1]!;
    const checkout = await post(admin, checkoutOf(id), { tierId: 'pro', interval: 'month', seatCount: 2, ...urls });
    expect(checkout.status).toBe(403);
    expect(checkout.body.code).toBe('INSUFFICIENT_PERMISSIONS');
    const portal = await post(admin, portalOf(id), { returnUrl: urls.cancelUrl });
    expect(portal.status).toBe(403);
    expect(portal.body.code).toBe('INSUFFICIENT_PERMISSIONS');
  });

  it('answers 503 and records nothing when Stripe fails', async () => {
    const { id, people } = await organization(h);
    h.stripe!.failNext('POST', '/v1/checkout/sessions', 500);
    const answer = await post(people[0]!, checkoutOf(id), { tierId: 'pro', interval: 'month', seatCount: 1, ...urls });
    expect(answer.status).toBe(503);
    expect(answer.body.code).toBe('SERVICE_UNAVAILABLE');
    expect(JSON.stringify(answer.body)).not.toContain('sk_test');
    expect(await sql('select id from checkout_sessions where organization_id = ?', [id])).toEqual([]);
    const activities = await sql(
      `select id from outbox_events where subject = ? and payload->'data'->>'organizationId' = ?`,
      [EVENT_SUBJECTS.billingActivity, id],
    );
    expect(activities).toEqual([]);

    // The customer was made before the session failed: a fresh organization sees the customer call fail.
    const other = await organization(h);
    h.stripe!.failNext('POST', '/v1/customers', 500);
    const noCustomer = await post(other.people[0]!, checkoutOf(other.id), {
      tierId: 'pro',
      interval: 'month',
      seatCount: 1,
      ...urls,
    });
    expect(noCustomer.status).toBe(503);
    const [account] = await sql('select stripe_customer_id from billing_accounts where organization_id = ?', [
      other.id,
    ]);
    expect(account.stripe_customer_id).toBeNull();
  });

  it('makes the account of an organization older than billing on its first checkout, the customer unnamed', async () => {
    const { id, owner } = await olderThanBilling(h);
    const started = await post(owner, checkoutOf(id), { tierId: 'pro', interval: 'month', seatCount: 1, ...urls });
    expect(started.status).toBe(201);
    const [account] = await sql(
      'select organization_name, tier_id, status, revision, stripe_customer_id from billing_accounts where organization_id = ?',
      [id],
    );
    expect(account).toMatchObject({ organization_name: '', tier_id: 'free', status: 'active' });
    expect(Number(account.revision)).toBe(1);
    const published = await sql(
      `select payload from outbox_events where subject = ? and payload->'data'->>'organizationId' = ?`,
      [EVENT_SUBJECTS.billingEntitlementsChanged, id],
    );
    expect(published.map((row) => row.payload.data)).toEqual([
      expect.objectContaining({ revision: 1, tierId: 'free', status: 'active' }),
    ]);
    const made = h
      .stripe!.requestsTo('POST', '/v1/customers')
      .find((entry) => entry.idempotencyKey?.startsWith(`customer:${id}:`));
    expect(made!.body).toMatchObject({ metadata: { organizationId: id } });
    expect(made!.body).not.toHaveProperty('name');

    // The organization's name arrives with its next event.
    await h.publish(EVENT_SUBJECTS.organizationUpdated, { organizationId: id, name: 'Old Corp', slug: 'old-corp' });
    await eventually(async () => {
      const [renamed] = await sql('select organization_name from billing_accounts where organization_id = ?', [id]);
      expect(renamed.organization_name).toBe('Old Corp');
    }, 10_000);
  });

  it("names the customer of an organization older than billing after its billing profile's company", async () => {
    const { id, owner } = await olderThanBilling(h);
    const saved = await h.service.app.inject({
      method: 'PUT',
      url: `/api/user/organizations/${id}/settings/billing`,
      headers: await h.service.as(owner),
      payload: { billingEmail: null, companyName: 'Vintage GmbH', address: null, taxId: null },
    });
    expect(saved.statusCode).toBe(200);
    expect((await post(owner, checkoutOf(id), { tierId: 'team', interval: 'year', ...urls })).status).toBe(201);
    const made = h
      .stripe!.requestsTo('POST', '/v1/customers')
      .find((entry) => entry.idempotencyKey?.startsWith(`customer:${id}:`));
    expect(made!.body).toMatchObject({ name: 'Vintage GmbH' });
  });

  it('answers 409 NO_CUSTOMER on the portal of an organization older than billing, writing nothing', async () => {
    const { id, owner } = await olderThanBilling(h);
    const portal = await post(owner, portalOf(id), { returnUrl: urls.cancelUrl });
    expect(portal.status).toBe(409);
    expect(portal.body).toMatchObject({ code: 'CONFLICT', meta: { reason: 'NO_CUSTOMER' } });
    expect(await sql('select 1 from billing_accounts where organization_id = ?', [id])).toEqual([]);
  });

  it('opens the portal once the organization has a customer', async () => {
    const { id, people } = await organization(h);
    const owner = people[0]!;
    const early = await post(owner, portalOf(id), { returnUrl: urls.cancelUrl });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'CONFLICT', meta: { reason: 'NO_CUSTOMER' } });

    expect(
      (await post(owner, checkoutOf(id), { tierId: 'pro', interval: 'month', seatCount: 1, ...urls })).status,
    ).toBe(201);
    const refused = await post(owner, portalOf(id), { returnUrl: 'https://evil.example/back' });
    expect(refused.status).toBe(400);
    expect(refused.body.meta.errors).toEqual([expect.objectContaining({ field: 'returnUrl', location: 'body' })]);

    const portal = await post(owner, portalOf(id), { returnUrl: urls.cancelUrl });
    expect(portal.status).toBe(201);
    expect(portal.body.data.url).toMatch(new RegExp(`^${h.stripe!.url}/portal/`));
    const [account] = await sql('select stripe_customer_id from billing_accounts where organization_id = ?', [id]);
    expect(h.stripe!.requestsTo('POST', '/v1/billing_portal/sessions').at(-1)!.body).toMatchObject({
      customer: account.stripe_customer_id,
      return_url: urls.cancelUrl,
    });
  });
});

describe('checkout and portal in local mode', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBilling({ stripe: false });
  });
  afterAll(async () => h?.close());

  it('answers 503 BILLING_NOT_CONFIGURED before anything else', async () => {
    const { id, people } = await organization(h);
    const post = caller(h);
    const checkout = await post(people[0]!, checkoutOf(id), { tierId: 'free', interval: 'month', ...urls });
    expect(checkout.status).toBe(503);
    expect(checkout.body.code).toBe('BILLING_NOT_CONFIGURED');
    const portal = await post(people[0]!, portalOf(id), { returnUrl: 'https://evil.example/back' });
    expect(portal.status).toBe(503);
    expect(portal.body.code).toBe('BILLING_NOT_CONFIGURED');
  });
});

describe('redirect origins', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBilling({
      overrides: { BILLING_REDIRECT_ORIGINS: 'https://app.example.com, https://console.example.com' },
    });
    await answerCounts(h);
  });
  afterAll(async () => h?.close());

  it('allows exactly the listed origins, and then no longer PUBLIC_URL', async () => {
    const { id, people } = await organization(h);
    const post = caller(h);
    const body = {
      tierId: 'pro',
      interval: 'month',
      seatCount: 1,
      successUrl: 'https://console.example.com/done',
      cancelUrl: 'https://app.example.com:443/back',
    };
    expect((await post(people[0]!, checkoutOf(id), body)).status).toBe(201);
    const refused = await post(people[0]!, portalOf(id), { returnUrl: `${APP}/back` });
    expect(refused.status).toBe(400);
    expect(refused.body.meta.errors[0].field).toBe('returnUrl');
  });
});
