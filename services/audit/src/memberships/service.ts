import { notFound } from '@gatehouse/contracts';
import { MembershipReadModel, type ServiceDeps, type TenantAccessLoader } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Audit's read model of membership (table `memberships`), kept from the organization events. */
export function auditMemberships(
  deps: ServiceDeps,
  onOrganizationDeleted: (em: EntityManager, organizationId: string) => Promise<void>,
): MembershipReadModel {
  return new MembershipReadModel(deps, { table: 'memberships', durable: 'audit-memberships', onOrganizationDeleted });
}

/** Tenant routes' membership check: non-members get 404, as for an organization that does not exist. */
export function tenantAccess(deps: ServiceDeps, memberships: MembershipReadModel): TenantAccessLoader {
  return async (organizationId, principal) => {
    const role = await memberships.roleOf(deps.orm.em.fork(), organizationId, principal.userId);
    if (!role) throw notFound('Organization not found');
    return role;
  };
}
