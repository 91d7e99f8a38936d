import { type EntitlementsReply, newId, RPC_SUBJECTS } from '@gatehouse/contracts';
import { requestRpc } from '@gatehouse/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BillingHarness, createOrganization, sql, startBilling } from './harness.js';

let h: BillingHarness;
beforeAll(async () => {
  h = await startBilling();
});
afterAll(() => h.close());

const ask = (payload: unknown) => {
  const { messaging } = h.service.deps;
  return requestRpc<unknown, EntitlementsReply>(messaging.nc, messaging.subject(RPC_SUBJECTS.getEntitlements), payload);
};

describe('billing.entitlements.get', () => {
  it("answers an organization's entitlements as published", async () => {
    const { organizationId } = await createOrganization(h, 'Asked Inc');
    expect(await ask({ organizationId })).toEqual({
      found: true,
      entitlements: {
        organizationId,
        revision: 1,
        tierId: 'free',
        status: 'active',
        entitlements: { maxProjects: 5, maxMembers: 5, ssoAllowed: false, auditRetentionDays: 365 },
        readOnlyAfter: null,
        upgradeUrl: `http://localhost:8080/orgs/${organizationId}/billing`,
      },
    });
  });

  it('answers the current revision and read-only deadline', async () => {
    const { organizationId } = await createOrganization(h, 'Owing Inc');
    const readOnlyAfter = new Date(Date.now() + 3_600_000);
    await sql(
      h,
      `update billing_accounts set tier_id = 'pro', status = 'past_due', revision = 4, read_only_after = ?,
         past_due_since = now() where organization_id = ?`,
      [readOnlyAfter, organizationId],
    );
    const reply = await ask({ organizationId });
    expect(reply).toMatchObject({
      found: true,
      entitlements: { revision: 4, tierId: 'pro', status: 'past_due', readOnlyAfter: readOnlyAfter.toISOString() },
    });
  });

  it('answers an organization it has no account of (older than billing) on Free at revision 0, writing nothing', async () => {
    const organizationId = newId();
    expect(await ask({ organizationId })).toEqual({
      found: true,
      entitlements: {
        organizationId,
        revision: 0,
        tierId: 'free',
        status: 'active',
        entitlements: { maxProjects: 5, maxMembers: 5, ssoAllowed: false, auditRetentionDays: 365 },
        readOnlyAfter: null,
        upgradeUrl: `http://localhost:8080/orgs/${organizationId}/billing`,
      },
    });
    expect(await sql(h, 'select 1 from billing_accounts where organization_id = ?', [organizationId])).toEqual([]);
  });

  it('answers found: false to a request without an organization', async () => {
    expect(await ask({})).toEqual({ found: false });
  });
});
