import { EVENT_SUBJECTS, type MembershipReply, type MembershipRequest, RPC_SUBJECTS } from '@gatehouse/contracts';
import { DurableConsumer, type EventHandler, requestRpc, type ServiceDeps } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UserMembershipSchema } from './entities.js';

export async function organizationCount(em: EntityManager, userId: string): Promise<number> {
  return em.count(UserMembershipSchema, { userId });
}

export async function upsertMembership(em: EntityManager, organizationId: string, userId: string, role: string) {
  await em.execute(
    `insert into user_memberships (organization_id, user_id, role) values (?, ?, ?)
     on conflict (organization_id, user_id) do update set role = excluded.role`,
    [organizationId, userId, role],
  );
}

/**
 * Is the user a member of the organization? The read model answers; on a miss (an event
 * not yet arrived) the organization service is asked once over NATS.
 */
export async function isMember(deps: ServiceDeps, em: EntityManager, organizationId: string, userId: string) {
  const local = await em.findOne(UserMembershipSchema, { organizationId, userId });
  if (local) return true;
  const reply = await requestRpc<MembershipRequest, MembershipReply>(
    deps.messaging.nc,
    deps.messaging.subject(RPC_SUBJECTS.getMembership),
    { organizationId, userId },
  );
  return reply.found;
}

type MemberEvent = { organizationId: string; userId: string; role: string };

const handlers: Record<string, EventHandler> = {
  [EVENT_SUBJECTS.memberAdded]: async (event, em) => {
    const { organizationId, userId, role } = event.data as MemberEvent;
    await upsertMembership(em, organizationId, userId, role);
  },
  [EVENT_SUBJECTS.memberRoleChanged]: async (event, em) => {
    const { organizationId, userId, role } = event.data as MemberEvent;
    await upsertMembership(em, organizationId, userId, role);
  },
  [EVENT_SUBJECTS.memberRemoved]: async (event, em) => {
    const { organizationId, userId } = event.data as MemberEvent;
    await em.nativeDelete(UserMembershipSchema, { organizationId, userId });
  },
  [EVENT_SUBJECTS.organizationDeleted]: async (event, em) => {
    const { organizationId } = event.data as { organizationId: string };
    await em.nativeDelete(UserMembershipSchema, { organizationId });
  },
};

export function membershipConsumer(deps: ServiceDeps): DurableConsumer {
  return new DurableConsumer({
    messaging: deps.messaging,
    em: deps.orm.em,
    logger: deps.logger,
    durable: 'identity-memberships',
    filter: 'events.organization.>',
    handlers,
  });
}
