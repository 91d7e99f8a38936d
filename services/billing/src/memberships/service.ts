import { type MemberCountReply, type MemberCountRequest, notFound, RPC_SUBJECTS } from '@gatehouse/contracts';
import { MembershipReadModel, requestRpc, type ServiceDeps, type TenantAccessLoader } from '@gatehouse/service-kit';
import type { BillingContext } from '../context.js';

/**
 * Billing's read model of membership (table `memberships`), kept from the organization events. The
 * organization's own billing rows go with organization.deleted in the organizations consumer.
 */
export function billingMemberships(deps: ServiceDeps): MembershipReadModel {
  return new MembershipReadModel(deps, { table: 'memberships', durable: 'billing-memberships' });
}

/** Tenant routes' membership check: non-members get 404, as for an organization that does not exist. */
export function tenantAccess(deps: ServiceDeps, memberships: MembershipReadModel): TenantAccessLoader {
  return async (organizationId, principal) => {
    const role = await memberships.roleOf(deps.orm.em.fork(), organizationId, principal.userId);
    if (!role) throw notFound('Organization not found');
    return role;
  };
}

/**
 * How many members the organization has, as the organization service counts them: billing's own copy misses
 * the members of an organization older than billing (the stream keeps a week). No answer is 503, as for any
 * dependency; an organization it does not know is 404, as for a non-member.
 */
export async function countMembers(ctx: BillingContext, organizationId: string): Promise<number> {
  const { messaging } = ctx.deps;
  const reply = await requestRpc<MemberCountRequest, MemberCountReply>(
    messaging.nc,
    messaging.subject(RPC_SUBJECTS.countMembers),
    { organizationId },
  );
  if (!reply.found) throw notFound('Organization not found');
  return reply.members;
}
