import { EVENT_SUBJECTS, notFound } from '@gatehouse/contracts';
import {
  DurableConsumer,
  type EventHandlers,
  MembershipReadModel,
  type ServiceDeps,
  type TenantAccessLoader,
} from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ProjectUserSchema } from './entities.js';

/** Project's read model of membership (table `memberships`), kept from the organization events. */
export function projectMemberships(
  deps: ServiceDeps,
  onOrganizationDeleted: (em: EntityManager, organizationId: string) => Promise<void>,
): MembershipReadModel {
  return new MembershipReadModel(deps, { table: 'memberships', durable: 'project-memberships', onOrganizationDeleted });
}

/** Tenant routes' membership check: non-members get 404, as for an organization that does not exist. */
export function tenantAccess(deps: ServiceDeps, memberships: MembershipReadModel): TenantAccessLoader {
  return async (organizationId, principal) => {
    const role = await memberships.roleOf(deps.orm.em.fork(), organizationId, principal.userId);
    if (!role) throw notFound('Organization not found');
    return role;
  };
}

/** Creators' names for `createdByUser`, kept from identity's user events. */
export function userConsumer(deps: ServiceDeps): DurableConsumer {
  const upsertUser = async (em: EntityManager, data: { userId: string; name: string }) => {
    await em.execute(
      'insert into users (user_id, full_name) values (?, ?) on conflict (user_id) do update set full_name = excluded.full_name',
      [data.userId, data.name],
    );
  };
  const handlers: EventHandlers = {
    [EVENT_SUBJECTS.userRegistered]: (event, em) => upsertUser(em, event.data),
    [EVENT_SUBJECTS.userUpdated]: (event, em) => upsertUser(em, event.data),
    [EVENT_SUBJECTS.userDeleted]: async (event, em) => {
      await em.nativeDelete(ProjectUserSchema, { userId: event.data.userId });
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
