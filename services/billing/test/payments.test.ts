import { type AuthenticatedPrincipal, newId } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BillingHarness, sql as billingRows, personPrincipal, startBilling } from './harness.js';

/** …/payments: the invoices billing holds (rows written directly, as the webhook path would), paged like every list. */

// biome-ignore lint/suspicious/noExplicitAny: rows of ad-hoc queries
type Rows = any[];

function sqlOf(h: BillingHarness) {
  return (query: string, params: unknown[] = []): Promise<Rows> => billingRows<Rows[number]>(h, query, params);
}

/** An organization with one member (members may read payments: the route needs organization:read only). */
async function organization(h: BillingHarness): Promise<{ id: string; member: AuthenticatedPrincipal }> {
  const id = newId();
  const member = personPrincipal(newId());
  await sqlOf(h)('insert into memberships (organization_id, user_id, role) values (?, ?, ?)', [
    id,
    member.userId,
    'member',
  ]);
  return { id, member };
}

const DAY = 86_400_000;
const START = Date.parse('2026-01-01T00:00:00.000Z');

/** Invoice `index` of an organization: one a month, amounts out of step with the dates. */
async function insertInvoice(h: BillingHarness, organizationId: string, index: number, amount: number) {
  const created = new Date(START + index * 30 * DAY);
  const id = `in_${organizationId.slice(-10)}${String(index).padStart(2, '0')}`;
  await sqlOf(h)(
    `insert into invoices (id, organization_id, subscription_id, number, status, currency, amount_due, amount_paid,
       period_start, period_end, hosted_invoice_url, invoice_pdf_url, paid_at, stripe_created, synced_at)
     values (?, ?, 'sub_1', ?, ?, 'eur', ?, ?, ?, ?, ?, ?, ?, ?, now())`,
    [
      id,
      organizationId,
      `ACME-${index}`,
      index === 0 ? 'open' : 'paid',
      amount,
      index === 0 ? 0 : amount,
      created,
      new Date(created.getTime() + 30 * DAY),
      `https://invoice.stripe.test/${id}`,
      `https://invoice.stripe.test/${id}.pdf`,
      index === 0 ? null : new Date(created.getTime() + 60_000),
      created,
    ],
  );
  return id;
}

function list(h: BillingHarness) {
  return async (as: AuthenticatedPrincipal, organizationId: string, query = '') => {
    const response = await h.service.app.inject({
      method: 'GET',
      url: `/api/user/organizations/${organizationId}/payments${query}`,
      headers: await h.service.as(as),
    });
    return { status: response.statusCode, body: response.json() };
  };
}

describe('payments', () => {
  let h: BillingHarness;
  let get: ReturnType<typeof list>;
  let org: { id: string; member: AuthenticatedPrincipal };
  let ids: string[];
  const amounts = [500, 4000, 1000, 3000, 2000];

  beforeAll(async () => {
    h = await startBilling();
    get = list(h);
    org = await organization(h);
    ids = [];
    for (const [index, amount] of amounts.entries()) ids.push(await insertInvoice(h, org.id, index, amount));
    const other = await organization(h);
    await insertInvoice(h, other.id, 0, 9999);
  });
  afterAll(async () => h?.close());

  it('lists the organization’s invoices newest first, mapped to Payment', async () => {
    const answer = await get(org.member, org.id);
    expect(answer.status).toBe(200);
    expect(answer.body.data.map((payment: { id: string }) => payment.id)).toEqual([...ids].reverse());
    expect(answer.body.meta).toEqual({
      offset: 0,
      limit: expect.any(Number),
      hasMore: false,
      nextCursor: null,
      total: 5,
    });
    const oldest = answer.body.data.at(-1);
    expect(oldest).toEqual({
      id: ids[0],
      number: 'ACME-0',
      status: 'open',
      currency: 'eur',
      amountDue: 500,
      amountPaid: 0,
      periodStart: '2026-01-01T00:00:00.000Z',
      periodEnd: '2026-01-31T00:00:00.000Z',
      hostedInvoiceUrl: `https://invoice.stripe.test/${ids[0]}`,
      invoicePdfUrl: `https://invoice.stripe.test/${ids[0]}.pdf`,
      paidAt: null,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(answer.body.data[0]).toMatchObject({ status: 'paid', amountPaid: 2000, paidAt: '2026-05-01T00:01:00.000Z' });
  });

  it('walks the list by cursor and by offset', async () => {
    const first = await get(org.member, org.id, '?limit=2');
    expect(first.body.meta).toMatchObject({ hasMore: true, total: 5 });
    const second = await get(org.member, org.id, `?limit=2&cursor=${first.body.meta.nextCursor}`);
    const third = await get(org.member, org.id, `?limit=2&cursor=${second.body.meta.nextCursor}`);
    const walked = [first, second, third].flatMap((page) => page.body.data.map((p: { id: string }) => p.id));
    expect(walked).toEqual([...ids].reverse());
    expect(third.body.meta).toMatchObject({ hasMore: false, nextCursor: null });

    const offset = await get(org.member, org.id, '?limit=2&offset=4');
    expect(offset.body.data.map((p: { id: string }) => p.id)).toEqual([ids[0]]);
  });

  it('sorts by amountDue either way, and refuses a cursor of another sort', async () => {
    const ascending = await get(org.member, org.id, '?sort=amountDue&limit=3');
    expect(ascending.body.data.map((p: { amountDue: number }) => p.amountDue)).toEqual([500, 1000, 2000]);
    const rest = await get(org.member, org.id, `?sort=amountDue&limit=3&cursor=${ascending.body.meta.nextCursor}`);
    expect(rest.body.data.map((p: { amountDue: number }) => p.amountDue)).toEqual([3000, 4000]);
    const descending = await get(org.member, org.id, '?sort=-amountDue');
    expect(descending.body.data.map((p: { amountDue: number }) => p.amountDue)).toEqual([4000, 3000, 2000, 1000, 500]);

    const mixed = await get(org.member, org.id, `?sort=createdAt&cursor=${ascending.body.meta.nextCursor}`);
    expect(mixed.status).toBe(400);
    expect(mixed.body.meta.errors[0]).toMatchObject({ field: 'cursor', location: 'query' });
    expect((await get(org.member, org.id, '?sort=number')).status).toBe(400);
  });
});

describe('payments in local mode', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBilling({ stripe: false });
  });
  afterAll(async () => h?.close());

  it('is an empty list', async () => {
    const org = await organization(h);
    const answer = await list(h)(org.member, org.id);
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual([]);
    expect(answer.body.meta).toMatchObject({ total: 0, hasMore: false, nextCursor: null });
  });
});
