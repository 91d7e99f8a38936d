import type { Role } from '@gatehouse/contracts';
import { type DurableConsumer, MembershipReadModel, recordMembership, type ServiceDeps } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UserMembershipSchema } from './entities.js';

/** Identity's read model of membership (table `user_memberships`): pins, and the count on /me. */
const TABLE = 'user_memberships';
const readModel = (deps: ServiceDeps) =>
  new MembershipReadModel(deps, { table: TABLE, durable: 'identity-memberships' });

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

export function membershipConsumer(deps: ServiceDeps): DurableConsumer {
  return readModel(deps).consumer();
}
