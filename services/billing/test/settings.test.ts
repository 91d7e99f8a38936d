import { type AuthenticatedPrincipal, EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerMemberCount,
  type BillingHarness,
  sql as billingRows,
  personPrincipal,
  startBilling,
} from './harness.js';

/** …/settings/billing through the billing app, with the Stripe customer kept in step (or nothing saved). */

// biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
type Rows = any[];
type Role = 'owner' | 'admin' | 'member';

function sqlOf(h: BillingHarness) {
  return (query: string, params: unknown[] = []): Promise<Rows> => billingRows<Rows[number]>(h, query, params);
}

async function organization(h: BillingHarness, roles: Role[] = ['owner']) {
  const sql = sqlOf(h);
  const id = newId();
  await sql(
    `insert into billing_accounts (organization_id, organization_name, tier_id, status, entitlements)
     values (?, 'Acme', 'free', 'active', ?::jsonb)`,
    [id, JSON.stringify({ maxProjects: 5, maxMembers: 5, ssoAllowed: false, auditRetentionDays: 365 })],
  );
  const people: AuthenticatedPrincipal[] = [];
  for (const role of roles) {
    const person = personPrincipal(newId());
    await sql('insert into memberships (organization_id, user_id, role) values (?, ?, ?)', [id, person.userId, role]);
    people.push(person);
  }
  return { id, people };
}

function caller(h: BillingHarness) {
  return async (as: AuthenticatedPrincipal, method: 'GET' | 'PUT' | 'POST', url: string, body?: object) => {
    const response = await h.service.app.inject({
      method,
      url,
      headers: await h.service.as(as),
      ...(body && { payload: body }),
    });
    return { status: response.statusCode, body: response.json() };
  };
}

const settingsOf = (id: string) => `/api/user/organizations/${id}/settings/billing`;
const EMPTY = { billingEmail: null, companyName: null, address: null, taxId: null };
const PROFILE = {
  billingEmail: 'billing@acme.example',
  companyName: 'Acme GmbH',
  address: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
  taxId: { type: 'eu_vat', value: 'DE123456789' },
};

function activitiesOf(h: BillingHarness, organizationId: string) {
  return sqlOf(h)(
    `select payload from outbox_events where subject = ? and payload->'data'->>'organizationId' = ? order by id`,
    [EVENT_SUBJECTS.billingActivity, organizationId],
  ).then((rows) => rows.map((row) => row.payload.data));
}

describe('billing settings with Stripe', () => {
  let h: BillingHarness;
  let call: ReturnType<typeof caller>;
  let sql: ReturnType<typeof sqlOf>;
  let stripe: Stripe;

  beforeAll(async () => {
    h = await startBilling();
    await answerMemberCount(h, 1);
    call = caller(h);
    sql = sqlOf(h);
    stripe = new Stripe(h.stripe!.secretKey, { ...h.stripe!.sdkOptions(), maxNetworkRetries: 0 });
  });
  afterAll(async () => h?.close());

  /** An organization whose first checkout made its Stripe customer. */
  async function withCustomer(roles: Role[] = ['owner']) {
    return checkout(await organization(h, roles));
  }

  async function checkout(org: { id: string; people: AuthenticatedPrincipal[] }) {
    const started = await call(org.people[0]!, 'POST', `/api/user/organizations/${org.id}/payments/checkout`, {
      tierId: 'pro',
      interval: 'month',
      seatCount: org.people.length,
      successUrl: 'http://localhost:8080/done',
      cancelUrl: 'http://localhost:8080/back',
    });
    expect(started.status).toBe(201);
    const [account] = await sql('select stripe_customer_id from billing_accounts where organization_id = ?', [org.id]);
    return { ...org, customer: account.stripe_customer_id as string };
  }

  it('reads all null before the first save; members read it, admins cannot change it', async () => {
    const { id, people } = await organization(h, ['owner', 'admin', 'member']);
    const read = await call(people[2]!, 'GET', settingsOf(id));
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({ ...EMPTY, updatedAt: null });
    const refused = await call(people[1]!, 'PUT', settingsOf(id), PROFILE);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('INSUFFICIENT_PERMISSIONS');
  });

  it.each([
    ['taxId.value', { taxId: { type: 'eu_vat', value: 'not a vat' } }],
    ['taxId.value', { taxId: { type: 'gb_vat', value: 'DE123456789' } }],
    ['country', { address: { ...PROFILE.address, country: 'de' } }],
    ['billingEmail', { billingEmail: 'nobody' }],
  ])('refuses an invalid %s with 400 and saves nothing', async (field, change) => {
    const { id, people } = await organization(h);
    const answer = await call(people[0]!, 'PUT', settingsOf(id), { ...PROFILE, ...change });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('VALIDATION_ERROR');
    expect(answer.body.meta.errors.map((error: { field: string }) => error.field).join()).toContain(field);
    expect(await sql('select * from billing_settings where organization_id = ?', [id])).toEqual([]);
  });

  it('saves without Stripe calls while there is no customer, and records the change', async () => {
    const { id, people } = await organization(h);
    const before = h.stripe!.requests.length;
    const saved = await call(people[0]!, 'PUT', settingsOf(id), PROFILE);
    expect(saved.status).toBe(200);
    expect(saved.body.data).toMatchObject({
      ...PROFILE,
      address: { ...PROFILE.address, line2: null, state: null },
    });
    expect(Date.parse(saved.body.data.updatedAt)).not.toBeNaN();
    expect(h.stripe!.requests.length).toBe(before);
    expect((await call(people[0]!, 'GET', settingsOf(id))).body.data).toEqual(saved.body.data);
    const [activity] = await activitiesOf(h, id);
    expect(activity).toMatchObject({
      action: 'billing.settings_updated',
      userId: people[0]!.userId,
      target: { type: 'billing_settings', id },
      changes: {
        billingEmail: { before: null, after: PROFILE.billingEmail },
        taxId: { before: null, after: PROFILE.taxId },
      },
    });
  });

  it('records nothing when the same profile is saved again', async () => {
    const { id, people, customer } = await withCustomer();
    const owner = people[0]!;
    // The address and tax id come back from jsonb and columns in an order of their own: compared by content.
    const profile = { ...PROFILE, address: { ...PROFILE.address, line2: 'Hof 2', state: 'BE' } };
    expect((await call(owner, 'PUT', settingsOf(id), profile)).status).toBe(200);
    const taxCalls = () => h.stripe!.requestsTo('*', `/v1/customers/${customer}/tax_ids`).length;
    const callsBefore = taxCalls();
    expect((await call(owner, 'PUT', settingsOf(id), profile)).status).toBe(200);
    expect(taxCalls()).toBe(callsBefore);
    const updates = (await activitiesOf(h, id)).filter((activity) => activity.action === 'billing.settings_updated');
    expect(updates).toHaveLength(1);
  });

  it('brings the Stripe customer and its tax id to the profile, replacing a changed tax id', async () => {
    const { id, people, customer } = await withCustomer();
    const owner = people[0]!;
    expect((await call(owner, 'PUT', settingsOf(id), PROFILE)).status).toBe(200);
    let remote = (await stripe.customers.retrieve(customer)) as Stripe.Customer;
    expect(remote).toMatchObject({ email: PROFILE.billingEmail, name: PROFILE.companyName });
    expect(remote.address).toMatchObject({
      line1: 'Hauptstraße 1',
      city: 'Berlin',
      postal_code: '10115',
      country: 'DE',
    });
    let taxIds = (await stripe.customers.listTaxIds(customer)).data;
    expect(taxIds.map((taxId) => [taxId.type, taxId.value])).toEqual([['eu_vat', 'DE123456789']]);
    const [first] = await sql('select stripe_tax_id from billing_settings where organization_id = ?', [id]);
    expect(first.stripe_tax_id).toBe(taxIds[0]!.id);

    // Only the email changes: the tax id Stripe holds is kept.
    const taxCalls = () => h.stripe!.requestsTo('*', `/v1/customers/${customer}/tax_ids`).length;
    const callsBefore = taxCalls();
    await call(owner, 'PUT', settingsOf(id), { ...PROFILE, billingEmail: 'finance@acme.example' });
    expect(taxCalls()).toBe(callsBefore);

    const changed = { ...PROFILE, companyName: null, address: null, taxId: { type: 'gb_vat', value: 'GB123456789' } };
    expect((await call(owner, 'PUT', settingsOf(id), changed)).status).toBe(200);
    remote = (await stripe.customers.retrieve(customer)) as Stripe.Customer;
    expect(remote).toMatchObject({ email: PROFILE.billingEmail, name: 'Acme', address: null });
    taxIds = (await stripe.customers.listTaxIds(customer)).data;
    expect(taxIds.map((taxId) => [taxId.type, taxId.value])).toEqual([['gb_vat', 'GB123456789']]);

    expect((await call(owner, 'PUT', settingsOf(id), { ...changed, taxId: null })).status).toBe(200);
    expect((await stripe.customers.listTaxIds(customer)).data).toEqual([]);
    const [last] = await sql('select stripe_tax_id, tax_id_type from billing_settings where organization_id = ?', [id]);
    expect(last).toEqual({ stripe_tax_id: null, tax_id_type: null });
  });

  it('makes the customer with the profile saved before the first checkout, and adopts its tax id', async () => {
    const org = await organization(h);
    const owner = org.people[0]!;
    expect((await call(owner, 'PUT', settingsOf(org.id), PROFILE)).status).toBe(200);
    const { customer } = await checkout(org);
    const made = h
      .stripe!.requestsTo('POST', '/v1/customers')
      .find((entry) => entry.idempotencyKey?.startsWith(`customer:${org.id}:`));
    expect(made!.body).toMatchObject({
      name: PROFILE.companyName,
      email: PROFILE.billingEmail,
      address: { line1: 'Hauptstraße 1', postal_code: '10115', country: 'DE' },
      tax_id_data: [PROFILE.taxId],
    });
    const [initial] = (await stripe.customers.listTaxIds(customer)).data;
    expect(initial).toMatchObject(PROFILE.taxId);

    expect((await call(owner, 'PUT', settingsOf(org.id), { ...PROFILE, billingEmail: 'ap@acme.example' })).status).toBe(
      200,
    );
    expect((await stripe.customers.listTaxIds(customer)).data.map((taxId) => taxId.id)).toEqual([initial!.id]);
    const [row] = await sql('select stripe_tax_id from billing_settings where organization_id = ?', [org.id]);
    expect(row.stripe_tax_id).toBe(initial!.id);
  });

  it.each([
    ['the customer update', (customer: string) => `/v1/customers/${customer}`],
    ['the tax id', (customer: string) => `/v1/customers/${customer}/tax_ids`],
  ])('saves nothing when Stripe fails on %s (503)', async (_what, pathOf) => {
    const { id, people, customer } = await withCustomer();
    const owner = people[0]!;
    const first = await call(owner, 'PUT', settingsOf(id), { ...PROFILE, taxId: null });
    expect(first.status).toBe(200);
    const activities = (await activitiesOf(h, id)).length;
    h.stripe!.failNext('POST', pathOf(customer), 500);
    const failed = await call(owner, 'PUT', settingsOf(id), { ...PROFILE, companyName: 'Renamed Ltd' });
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('SERVICE_UNAVAILABLE');
    expect((await call(owner, 'GET', settingsOf(id))).body.data).toEqual(first.body.data);
    expect((await activitiesOf(h, id)).length).toBe(activities);
  });
});

describe('billing settings in local mode', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBilling({ stripe: false });
  });
  afterAll(async () => h?.close());

  it('stores the profile without any Stripe sync', async () => {
    const { id, people } = await organization(h);
    const call = caller(h);
    const saved = await call(people[0]!, 'PUT', settingsOf(id), PROFILE);
    expect(saved.status).toBe(200);
    expect((await call(people[0]!, 'GET', settingsOf(id))).body.data).toEqual(saved.body.data);
  });
});
