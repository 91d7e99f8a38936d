import { BILLING_ROUTES, newId } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  answerNoMembership,
  type BillingHarness,
  createOrganization,
  personPrincipal,
  sql,
  startBilling,
} from './harness.js';

let h: BillingHarness;
beforeAll(async () => {
  h = await startBilling();
  answerNoMembership(h);
});
afterAll(() => h.close());

const path = (organizationId: string) => BILLING_ROUTES.getSubscription.path.replace(':organizationId', organizationId);

async function getSubscription(organizationId: string, principal = personPrincipal()) {
  return h.service.app.inject({ method: 'GET', url: path(organizationId), headers: await h.service.as(principal) });
}

/** A member of a new organization, whose account is then set as `fields` says (SQL assignments). */
async function memberOfAccount(assignments?: string, params: unknown[] = []) {
  const { organizationId } = await createOrganization(h, 'Shown Inc');
  const member = personPrincipal();
  await addMember(h, organizationId, member.userId, 'member');
  if (assignments) {
    await sql(h, `update billing_accounts set ${assignments} where organization_id = ?`, [...params, organizationId]);
  }
  return { organizationId, member };
}

describe('GET subscription', () => {
  it('shows a member the Free plan of a new organization', async () => {
    const { organizationId, member } = await memberOfAccount();
    const response = await getSubscription(organizationId, member);
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual({
      organizationId,
      tierId: 'free',
      tierName: 'Free',
      status: 'active',
      interval: null,
      seats: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      pastDueSince: null,
      graceEndsAt: null,
      readOnly: false,
      entitlements: { maxProjects: 5, maxMembers: 5, ssoAllowed: false, auditRetentionDays: 365 },
      billingConfigured: true,
    });
  });

  it('answers 404 to someone who is not a member', async () => {
    const { organizationId } = await memberOfAccount();
    const response = await getSubscription(organizationId);
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('NOT_FOUND');
  });

  it('shows a paid plan in its grace period: when it ends, not read-only yet', async () => {
    const pastDueSince = new Date(Date.now() - 86_400_000);
    const readOnlyAfter = new Date(pastDueSince.getTime() + 604_800_000);
    const { organizationId, member } = await memberOfAccount(
      `subscription_id = 'sub_x', tier_id = 'pro', status = 'past_due', interval = 'month', seats = 4,
       current_period_start = ?, current_period_end = ?, past_due_since = ?, read_only_after = ?,
       entitlements = '{"maxProjects":50,"maxMembers":4,"ssoAllowed":false,"auditRetentionDays":730}'`,
      [pastDueSince, readOnlyAfter, pastDueSince, readOnlyAfter],
    );
    const response = await getSubscription(organizationId, member);
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({
      tierId: 'pro',
      tierName: 'Pro',
      status: 'past_due',
      interval: 'month',
      seats: 4,
      pastDueSince: pastDueSince.toISOString(),
      graceEndsAt: readOnlyAfter.toISOString(),
      readOnly: false,
      entitlements: { maxMembers: 4, maxProjects: 50 },
    });
  });

  it('says read-only once the grace period is over', async () => {
    const pastDueSince = new Date(Date.now() - 8 * 86_400_000);
    const readOnlyAfter = new Date(pastDueSince.getTime() + 604_800_000);
    const { organizationId, member } = await memberOfAccount(
      `tier_id = 'pro', status = 'past_due', seats = 2, past_due_since = ?, read_only_after = ?`,
      [pastDueSince, readOnlyAfter],
    );
    const response = await getSubscription(organizationId, member);
    expect(response.json().data).toMatchObject({ readOnly: true, graceEndsAt: readOnlyAfter.toISOString() });
  });

  it('answers Free for a member of an organization whose creation has not arrived, and writes nothing', async () => {
    const organizationId = newId();
    const member = personPrincipal();
    await addMember(h, organizationId, member.userId, 'owner');
    const response = await getSubscription(organizationId, member);
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ organizationId, tierId: 'free', status: 'active', readOnly: false });
    expect(await sql(h, 'select 1 from billing_accounts where organization_id = ?', [organizationId])).toEqual([]);
  });
});
