import type { EntitlementsChanged } from '@gatehouse/contracts';
import { isReadOnly, requireWithinLimit, subscriptionInactive } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { MemberSchema } from '../organizations/entities.js';

/**
 * The plan's member limit (docs/design/billing-plan.md §4). Each check runs under the organization's row lock, so
 * two additions at once count one after the other. Only additions are checked: a downgrade never removes anyone.
 * A null plan (billing unknown) limits nothing.
 */
export type Plan = EntitlementsChanged | null;

export function countMembers(em: EntityManager, organizationId: string): Promise<number> {
  return em.count(MemberSchema, { organizationId });
}

/** Joining needs a seat beyond the members (the invitation being accepted held it until now). */
export async function requireSeatToJoin(em: EntityManager, plan: Plan, organizationId: string): Promise<void> {
  if (plan?.entitlements.maxMembers == null) return;
  requireWithinLimit(plan, 'members', await countMembers(em, organizationId));
}

/** Whether one more member would take the organization past its plan (SSO sign-ins answer with a reason). */
export async function memberLimitReached(em: EntityManager, plan: Plan, organizationId: string): Promise<boolean> {
  const limit = plan?.entitlements.maxMembers;
  return limit != null && (await countMembers(em, organizationId)) >= limit;
}

/**
 * Why an SSO sign-in may not add a new member, or null: a read-only organization adds no one (checked first, so
 * the answer names the real cause), then the member limit.
 */
export async function newMemberRefusal(
  em: EntityManager,
  plan: Plan,
  organizationId: string,
): Promise<'SUBSCRIPTION_INACTIVE' | 'PLAN_LIMIT_REACHED' | null> {
  if (isReadOnly(plan)) return 'SUBSCRIPTION_INACTIVE';
  return (await memberLimitReached(em, plan, organizationId)) ? 'PLAN_LIMIT_REACHED' : null;
}

/**
 * Accepting is not a tenant route (service-kit's read-only refusal of tenant routes misses it), so a read-only
 * organization is refused here: 403 SUBSCRIPTION_INACTIVE.
 */
export function requireWritable(plan: Plan, organizationId: string): void {
  if (plan && isReadOnly(plan)) {
    throw subscriptionInactive(organizationId, plan.readOnlyAfter ?? '', plan.upgradeUrl);
  }
}
