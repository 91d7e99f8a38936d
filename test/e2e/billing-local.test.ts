import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NOT_CONFIGURED_MESSAGE } from '../../services/billing/src/stripe/errors.js';
import type { ApiResponse } from '../support/client.js';
import { verifiedUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Billing without Stripe keys (local mode) through the gateway: every organization is on Free, paying answers
 * 503 BILLING_NOT_CONFIGURED, and Free's limits still apply. And a deployment with no billing service at all:
 * nothing can say what the plan allows, so nothing is limited (fail open).
 */

type User = Awaited<ReturnType<typeof verifiedUser>>;

vi.setConfig({ testTimeout: 120_000 });

const GATEWAY_LIMITS = { RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' };

const org = (user: User) => `/api/user/organizations/${user.organizationId}`;

async function createProjects(user: User, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let index = 1; index <= count; index += 1) {
    statuses.push((await user.client.post(`${org(user)}/projects`, { name: `Project ${index}` })).status);
  }
  return statuses;
}

function expectNotConfigured(res: ApiResponse) {
  expect(res.status).toBe(503);
  expect(res.body).toMatchObject({ code: 'BILLING_NOT_CONFIGURED', message: NOT_CONFIGURED_MESSAGE });
}

describe('billing in local mode (no Stripe keys)', () => {
  let stack: Stack;
  let owner: User;
  const billingPage = () => `${stack.urls.gateway}/orgs/${owner.organizationId}/billing`;

  beforeAll(async () => {
    stack = await startStack(GATEWAY_LIMITS, {}, { billing: true });
    owner = await verifiedUser(stack, 'Lou Local');
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  }, 120_000);

  it('shows Free with billing not configured', async () => {
    const res = await owner.client.get(`${org(owner)}/subscription`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      organizationId: owner.organizationId,
      tierId: 'free',
      status: 'active',
      billingConfigured: false,
      readOnly: false,
      entitlements: { maxProjects: 5, maxMembers: 5 },
    });
  });

  it('answers checkout, portal and Stripe deliveries with 503 BILLING_NOT_CONFIGURED', async () => {
    expectNotConfigured(
      await owner.client.post(`${org(owner)}/payments/checkout`, {
        tierId: 'pro',
        interval: 'month',
        seatCount: 1,
        successUrl: billingPage(),
        cancelUrl: billingPage(),
      }),
    );
    expectNotConfigured(await owner.client.post(`${org(owner)}/payments/portal`, { returnUrl: billingPage() }));
    const delivery = await fetch(`${stack.urls.gateway}/api/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
      body: JSON.stringify({ id: 'evt_local', type: 'invoice.paid', data: { object: {} } }),
    });
    expect(delivery.status).toBe(503);
    expect(await delivery.json()).toMatchObject({ code: 'BILLING_NOT_CONFIGURED' });
  });

  it("still applies Free's limits: the 6th project is refused", async () => {
    // The free plan reaches the project service as billing's event once billing has the organization.
    await eventually(async () => {
      const rows = await stack.project.deps.orm.em
        .fork()
        .execute('select 1 from organization_entitlements where organization_id = ?', [owner.organizationId]);
      if (rows.length === 0) throw new Error('the project service has no plan for it yet');
    }, 20_000);
    expect(await createProjects(owner, 6)).toEqual([201, 201, 201, 201, 201, 403]);
    const sixth = await owner.client.post(`${org(owner)}/projects`, { name: 'Still too many' });
    expect(sixth.body).toMatchObject({ code: 'PLAN_LIMIT_REACHED', meta: { resource: 'projects', limit: 5 } });
  });

  it('stores the billing profile without a Stripe customer to sync it to', async () => {
    const profile = {
      billingEmail: 'accounts@example.com',
      companyName: 'Local GmbH',
      address: { line1: 'Hauptstrasse 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
      taxId: { type: 'eu_vat', value: 'DE123456789' },
    };
    const saved = await owner.client.put(`${org(owner)}/settings/billing`, profile);
    expect(saved.status).toBe(200);
    expect(saved.body.data).toMatchObject({ ...profile, address: { ...profile.address } });
    expect(saved.body.data.updatedAt).toEqual(expect.any(String));
    const read = await owner.client.get(`${org(owner)}/settings/billing`);
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual(saved.body.data);
  });
});

describe('no billing service at all', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(GATEWAY_LIMITS);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  }, 120_000);

  it('limits nothing: with no plan known, 6 projects are created (fail open)', async () => {
    const owner = await verifiedUser(stack, 'Nia Nobilling');
    expect(await createProjects(owner, 6)).toEqual([201, 201, 201, 201, 201, 201]);
    const listed = await owner.client.get(`${org(owner)}/projects`);
    expect(listed.body.data).toHaveLength(6);
  });
});
