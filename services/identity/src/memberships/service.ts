import { notFound, type Role } from '@gatehouse/contracts';
import {
  type DurableConsumer,
  MembershipReadModel,
  recordMembership,
  type ServiceDeps,
  type TenantAccessLoader,
} from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UserMembershipSchema } from './entities.js';

/** Identity's read model of membership (table `user_memberships`): pins, and the count on /me. */
const TABLE = 'user_memberships';
type OrganizationDeleted = (em: EntityManager, organizationId: string) => Promise<void>;
const readModel = (deps: ServiceDeps, onOrganizationDeleted?: OrganizationDeleted) =>
  new MembershipReadModel(deps, { table: TABLE, durable: 'identity-memberships', onOrganizationDeleted });

export async function organizationCount(em: EntityManager, userId: string): Promise<number> {
  return em.count(UserMembershipSchema, { userId });
}

/** Identity asked organization to provision this membership, so it writes it down without waiting for the event. */
export async function upsertMembership(em: EntityManager, organizationId: string, userId: string, role: Role) {
  await recordMembership(em, TABLE, { organizationId, userId, role });
}

/** Is the user a member of the organization? The read model answers, else organization over NATS. */
export async function isMember(deps: ServiceDeps, em: EntityManager, organizationId: string, userId: string) {
  return (await readModel(deps).roleOf(em, organizationId, userId)) !== null;
}

/** Tenant routes' membership check: non-members get 404, as for an organization that does not exist. */
export function tenantAccess(deps: ServiceDeps): TenantAccessLoader {
  const memberships = readModel(deps);
  return async (organizationId, principal) => {
    const role = await memberships.roleOf(deps.orm.em.fork(), organizationId, principal.userId);
    if (!role) throw notFound('Organization not found');
    return role;
  };
}

/** Keeps the read model; `onOrganizationDeleted` forgets what the layers above hold of a deleted organization. */
export function membershipConsumer(deps: ServiceDeps, onOrganizationDeleted?: OrganizationDeleted): DurableConsumer {
  return readModel(deps, onOrganizationDeleted).consumer();
}
