import { BILLING_ROUTES, type EntitlementsReply, EVENT_SUBJECTS, newId, RPC_SUBJECTS } from '@gatehouse/contracts';
import { requestRpc } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountState, findAccount, freeState, saveAccountState } from '../src/accounts/accounts.js';
import { type BillingContext, commit } from '../src/context.js';
import { billingMemberships } from '../src/memberships/service.js';
import { loadPlans } from '../src/plans/plans.js';
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
  h = await startBilling();
});
afterAll(() => h.close());

const subscriptionPath = (organizationId: string) =>
  BILLING_ROUTES.getSubscription.path.replace(':organizationId', organizationId);

describe('an organization through billing', () => {
  it('starts on Free, published at revision 1, read by members and over the RPC, and goes with its deletion', async () => {
    const organization = await createOrganization(h, 'Lifecycle Ltd');
    const { organizationId } = organization;

    const [published] = await eventually(async () => {
      const events = (await streamEvents(h, EVENT_SUBJECTS.billingEntitlementsChanged)).filter(
        (event) => event.data.organizationId === organizationId,
      );
      expect(events).toHaveLength(1);
      return events;
    }, 10_000);
    expect(published?.data).toMatchObject({
      organizationId,
      revision: 1,
      tierId: 'free',
      status: 'active',
      readOnlyAfter: null,
      upgradeUrl: `http://localhost:8080/orgs/${organizationId}/billing`,
    });

    const owner = personPrincipal();
    await addMember(h, organizationId, owner.userId, 'owner');
    const response = await h.service.app.inject({
      method: 'GET',
      url: subscriptionPath(organizationId),
      headers: await h.service.as(owner),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ tierId: 'free', status: 'active', billingConfigured: true });
    expect(response.json().data.entitlements).toEqual(published?.data.entitlements);

    const { messaging } = h.service.deps;
    const reply = await requestRpc<{ organizationId: string }, EntitlementsReply>(
      messaging.nc,
      messaging.subject(RPC_SUBJECTS.getEntitlements),
      { organizationId },
    );
    expect(reply).toEqual({ found: true, entitlements: published?.data });

    await h.publish(EVENT_SUBJECTS.organizationDeleted, organization);
    await eventually(async () => {
      expect(await sql(h, 'select 1 from billing_accounts where organization_id = ?', [organizationId])).toEqual([]);
      expect(await sql(h, 'select 1 from memberships where organization_id = ?', [organizationId])).toEqual([]);
    }, 10_000);
    const gone = await requestRpc<{ organizationId: string }, EntitlementsReply>(
      messaging.nc,
      messaging.subject(RPC_SUBJECTS.getEntitlements),
      { organizationId },
    );
    // Callers ask only of organizations that exist: billing no longer tells a deleted one from one older than it.
    expect(gone).toMatchObject({ found: true, entitlements: { revision: 0, tierId: 'free' } });
  });

  it('answers an organization it has not heard of with the Free tier, writing nothing', async () => {
    const organizationId = newId();
    const member = personPrincipal();
    await addMember(h, organizationId, member.userId, 'member');
    const response = await h.service.app.inject({
      method: 'GET',
      url: subscriptionPath(organizationId),
      headers: await h.service.as(member),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ organizationId, tierId: 'free', tierName: 'Free', readOnly: false });
    expect(await sql(h, 'select 1 from billing_accounts where organization_id = ?', [organizationId])).toEqual([]);
  });
});

describe('saveAccountState', () => {
  const contextOf = (): BillingContext => {
    const { deps } = h.service;
    return {
      deps,
      config: deps.config,
      plans: loadPlans(deps.config.BILLING_PLANS_FILE),
      stripe: null,
      webhookSecrets: [],
      memberships: billingMemberships(deps),
    };
  };
  const save = (ctx: BillingContext, organizationId: string, next: AccountState) =>
    commit(ctx, async (em) => {
      const account = await findAccount(em, organizationId, { lock: true });
      return saveAccountState(em, ctx, account!, next);
    });
  const publishedOf = async (organizationId: string) =>
    sql(h, `select 1 from outbox_events where subject = ? and payload->'data'->>'organizationId' = ?`, [
      EVENT_SUBJECTS.billingEntitlementsChanged,
      organizationId,
    ]);

  it('publishes a changed state at the next revision, and the same state again not at all', async () => {
    const { organizationId } = await createOrganization(h, 'Steady Ltd');
    const ctx = contextOf();
    // Past due: the read-only deadline and the entitlements (jsonb keeps its own key order) are compared too.
    const owing: AccountState = {
      ...freeState(),
      subscriptionId: 'sub_steady',
      tierId: 'pro',
      status: 'past_due',
      interval: 'month',
      seats: 3,
      currentPeriodStart: new Date('2026-11-01T00:00:00Z'),
      currentPeriodEnd: new Date('2026-12-01T00:00:00Z'),
      pastDueSince: new Date('2026-11-20T00:00:00Z'),
    };
    const first = await save(ctx, organizationId, owing);
    expect(first.published).toBe(true);
    expect(Number(first.account.revision)).toBe(2);

    const again = await save(ctx, organizationId, { ...owing });
    expect(again.published).toBe(false);
    expect(Number(again.account.revision)).toBe(2);
    expect(await publishedOf(organizationId)).toHaveLength(2);
  });
});
