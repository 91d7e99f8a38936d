import type { Subscription } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import { type AccountRow, findAccount, freeState } from '../accounts/accounts.js';
import { type BillingContext, readEm } from '../context.js';
import { entitlementsOf } from '../plans/plans.js';

export type SubscriptionView = Static<typeof Subscription>;

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

/** The account as the API shows it; `now` decides whether the grace period is over. */
export function presentAccount(ctx: BillingContext, account: AccountRow, now = new Date()): SubscriptionView {
  const readOnlyAfter = account.read_only_after;
  return {
    organizationId: account.organization_id,
    tierId: account.tier_id,
    tierName: ctx.plans.tier(account.tier_id)?.name ?? account.tier_id,
    status: account.status,
    interval: account.interval,
    seats: account.seats,
    currentPeriodStart: iso(account.current_period_start),
    currentPeriodEnd: iso(account.current_period_end),
    cancelAtPeriodEnd: account.cancel_at_period_end,
    pastDueSince: iso(account.past_due_since),
    graceEndsAt: account.status === 'past_due' ? iso(readOnlyAfter) : null,
    readOnly: readOnlyAfter !== null && readOnlyAfter.getTime() <= now.getTime(),
    entitlements: account.entitlements,
    billingConfigured: ctx.stripe !== null,
  };
}

/** An organization whose creation event has not reached billing yet: what it will be, Free (nothing written). */
export function presentFree(ctx: BillingContext, organizationId: string): SubscriptionView {
  const free = freeState();
  return {
    organizationId,
    tierId: ctx.plans.free.id,
    tierName: ctx.plans.free.name,
    status: free.status,
    interval: free.interval,
    seats: free.seats,
    currentPeriodStart: null,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: free.cancelAtPeriodEnd,
    pastDueSince: null,
    graceEndsAt: null,
    readOnly: false,
    entitlements: entitlementsOf(ctx.plans.free, null),
    billingConfigured: ctx.stripe !== null,
  };
}

export async function subscriptionOf(ctx: BillingContext, organizationId: string): Promise<SubscriptionView> {
  const account = await findAccount(readEm(ctx), organizationId);
  return account ? presentAccount(ctx, account) : presentFree(ctx, organizationId);
}
