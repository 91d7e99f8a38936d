import { notFound } from '@gatehouse/contracts';
import { MembershipReadModel, type ServiceDeps, type TenantAccessLoader } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';

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

/** How many members the organization has as billing last heard (a seat-based checkout must cover them). */
export async function countMembers(em: EntityManager, organizationId: string): Promise<number> {
  const [counted] = await em.execute<Array<{ total: number }>>(
    'select count(*)::int as total from memberships where organization_id = ?',
    [organizationId],
  );
  return counted?.total ?? 0;
}
