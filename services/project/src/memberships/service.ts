import {
  AppError,
  EVENT_SUBJECTS,
  type MembershipReply,
  type MembershipRequest,
  notFound,
  type Role,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import { DurableConsumer, type EventHandler, requestRpc, type ServiceDeps } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ProjectSchema } from '../projects/entities.js';
import { MembershipSchema, ProjectUserSchema } from './entities.js';

/**
 * The caller's role in the organization, from the read model; on a miss (an event not yet
 * arrived) the organization service is asked once. The event remains the source of truth,
 * so the answer is used for this request and not written down. Non-members get 404.
 */
export async function roleIn(
  deps: ServiceDeps,
  em: EntityManager,
  organizationId: string,
  userId: string,
): Promise<Role> {
  const local = await em.findOne(MembershipSchema, { organizationId, userId });
  if (local) return local.role;
  const reply = await requestRpc<MembershipRequest, MembershipReply>(
    deps.messaging.nc,
    deps.messaging.subject(RPC_SUBJECTS.getMembership),
    { organizationId, userId },
  );
  if (!reply.found) throw notFound('Organization not found');
  return reply.role;
}

export function requireManager(role: Role): void {
  if (role === 'member') {
    throw new AppError('INSUFFICIENT_PERMISSIONS', 'Only owners and admins can do this', {
      requiredPermission: 'organization:manage-members',
    });
  }
}

async function upsert(em: EntityManager, data: { organizationId: string; userId: string; role: string }) {
  await em.execute(
    `insert into memberships (organization_id, user_id, role) values (?, ?, ?)
     on conflict (organization_id, user_id) do update set role = excluded.role`,
    [data.organizationId, data.userId, data.role],
  );
}

type MemberData = { organizationId: string; userId: string; role: string };

export function membershipConsumer(deps: ServiceDeps): DurableConsumer {
  const handlers: Record<string, EventHandler> = {
    [EVENT_SUBJECTS.memberAdded]: async (event, em) => upsert(em, event.data as MemberData),
    [EVENT_SUBJECTS.memberRoleChanged]: async (event, em) => upsert(em, event.data as MemberData),
    [EVENT_SUBJECTS.memberRemoved]: async (event, em) => {
      const { organizationId, userId } = event.data as MemberData;
      await em.nativeDelete(MembershipSchema, { organizationId, userId });
    },
    [EVENT_SUBJECTS.organizationDeleted]: async (event, em) => {
      const { organizationId } = event.data as MemberData;
      await em.nativeDelete(MembershipSchema, { organizationId });
      await em.nativeDelete(ProjectSchema, { organizationId });
    },
  };
  return new DurableConsumer({
    messaging: deps.messaging,
    em: deps.orm.em,
    logger: deps.logger,
    durable: 'project-memberships',
    filter: 'events.organization.>',
    handlers,
  });
}

type UserData = { userId: string; name: string };

export function userConsumer(deps: ServiceDeps): DurableConsumer {
  const upsertUser = async (em: EntityManager, data: UserData) =>
    em.execute(
      'insert into users (user_id, full_name) values (?, ?) on conflict (user_id) do update set full_name = excluded.full_name',
      [data.userId, data.name],
    );
  const handlers: Record<string, EventHandler> = {
    [EVENT_SUBJECTS.userRegistered]: async (event, em) => {
      await upsertUser(em, event.data as UserData);
    },
    [EVENT_SUBJECTS.userUpdated]: async (event, em) => {
      await upsertUser(em, event.data as UserData);
    },
    [EVENT_SUBJECTS.userDeleted]: async (event, em) => {
      await em.nativeDelete(ProjectUserSchema, { userId: (event.data as UserData).userId });
    },
  };
  return new DurableConsumer({
    messaging: deps.messaging,
    em: deps.orm.em,
    logger: deps.logger,
    durable: 'project-users',
    filter: 'events.identity.user.>',
    handlers,
  });
}
