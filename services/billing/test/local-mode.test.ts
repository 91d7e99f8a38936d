import { BILLING_ROUTES, EVENT_SUBJECTS } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  type BillingHarness,
  createOrganization,
  personPrincipal,
  sql,
  startBilling,
  streamEvents,
} from './harness.js';

let h: BillingHarness;
beforeAll(async () => {
  h = await startBilling({ stripe: false });
});
afterAll(() => h.close());

describe('billing without Stripe keys (local mode)', () => {
  it('still opens Free accounts, publishes their entitlements and shows them, billingConfigured false', async () => {
    const { organizationId } = await createOrganization(h, 'Local Inc');
    const owner = personPrincipal();
    await addMember(h, organizationId, owner.userId, 'owner');
    const response = await h.service.app.inject({
      method: 'GET',
      url: BILLING_ROUTES.getSubscription.path.replace(':organizationId', organizationId),
      headers: await h.service.as(owner),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ tierId: 'free', status: 'active', billingConfigured: false });
    await eventually(async () => {
      const published = (await streamEvents(h, EVENT_SUBJECTS.billingEntitlementsChanged)).filter(
        (event) => event.data.organizationId === organizationId,
      );
      expect(published.map((event) => event.data.revision)).toEqual([1]);
    }, 10_000);
  });

  it('forgets a deleted organization; nothing is sent anywhere to cancel', async () => {
    const organization = await createOrganization(h, 'Local Gone');
    // As if a subscription had been recorded before the keys were removed: it is queued, never sent.
    await sql(
      h,
      "update billing_accounts set subscription_id = 'sub_left', tier_id = 'pro' where organization_id = ?",
      [organization.organizationId],
    );
    await h.publish(EVENT_SUBJECTS.organizationDeleted, organization);
    await eventually(async () =>
      expect(
        await sql(h, 'select attempts from pending_cancellations where organization_id = ?', [
          organization.organizationId,
        ]),
      ).toEqual([{ attempts: 0 }]),
    );
    expect(
      await sql(h, 'select 1 from billing_accounts where organization_id = ?', [organization.organizationId]),
    ).toEqual([]);
  });
});
