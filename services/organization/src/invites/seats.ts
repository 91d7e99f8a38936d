import { requireWithinLimit } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { countMembers, type Plan } from '../members/plan-limits.js';
import { InviteSchema } from './entities.js';

/** Invitations that can still be accepted: each may become a member, so each holds a seat. */
function countPendingInvites(em: EntityManager, organizationId: string): Promise<number> {
  return em.count(InviteSchema, { organizationId, acceptedAt: null, expiresAt: { $gt: new Date() } });
}

/** A new (or renewed) invitation needs a seat beyond the members and the invitations still open. */
export async function requireSeatForInvite(em: EntityManager, plan: Plan, organizationId: string): Promise<void> {
  if (plan?.entitlements.maxMembers == null) return;
  const taken = (await countMembers(em, organizationId)) + (await countPendingInvites(em, organizationId));
  requireWithinLimit(plan, 'members', taken);
}
