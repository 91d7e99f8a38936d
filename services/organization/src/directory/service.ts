import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { DurableConsumer, type EventHandler, recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { OrgContext } from '../context.js';
import { MemberSchema, OrganizationSchema } from '../organizations/entities.js';
import { provisionDefault } from '../organizations/service.js';
import { DirectoryUserSchema } from './entities.js';

export async function upsertDirectoryUser(
  em: EntityManager,
  user: { userId: string; email: string; name: string; isVerified?: boolean },
) {
  await em.execute(
    `insert into directory_users (user_id, email, name, is_verified) values (?, ?, ?, ?)
     on conflict (user_id) do update set email = excluded.email, name = excluded.name,
       is_verified = directory_users.is_verified or excluded.is_verified`,
    [user.userId, user.email, user.name, user.isVerified ?? false],
  );
}

/**
 * A deleted user leaves every organization. Where they were the last owner, the longest-standing
 * remaining member becomes owner (an organization always keeps one); an empty organization is deleted.
 */
async function removeUserEverywhere(em: EntityManager, userId: string, requestId?: string) {
  const memberships = await em.find(MemberSchema, { userId });
  for (const membership of memberships) {
    const { organizationId } = membership;
    em.remove(membership);
    recordEvent(em, EVENT_SUBJECTS.memberRemoved, { organizationId, userId, role: membership.role }, requestId);
    await em.flush();
    const remaining = await em.find(MemberSchema, { organizationId }, { orderBy: { joinedAt: 'asc' } });
    const org = await em.findOne(OrganizationSchema, { id: organizationId });
    if (!org) continue;
    if (remaining.length === 0) {
      recordEvent(
        em,
        EVENT_SUBJECTS.organizationDeleted,
        { organizationId, name: org.name, slug: org.slug },
        requestId,
      );
      em.remove(org);
    } else if (!remaining.some((member) => member.role === 'owner')) {
      const heir = remaining[0]!;
      heir.role = 'owner';
      recordEvent(
        em,
        EVENT_SUBJECTS.memberRoleChanged,
        { organizationId, userId: heir.userId, role: 'owner' },
        requestId,
      );
    }
  }
  await em.nativeDelete(DirectoryUserSchema, { userId });
}

export function directoryConsumer(ctx: OrgContext): DurableConsumer {
  type UserData = { userId: string; email: string; name: string; isVerified?: boolean };
  const handlers: Record<string, EventHandler> = {
    [EVENT_SUBJECTS.userRegistered]: async (event, em) => {
      const user = event.data as UserData;
      await upsertDirectoryUser(em, user);
      await provisionDefault(em, user, event.requestId);
    },
    [EVENT_SUBJECTS.userUpdated]: async (event, em) => {
      await upsertDirectoryUser(em, event.data as UserData);
    },
    [EVENT_SUBJECTS.userDeleted]: async (event, em) => {
      await removeUserEverywhere(em, (event.data as UserData).userId, event.requestId);
    },
  };
  return new DurableConsumer({
    messaging: ctx.deps.messaging,
    em: ctx.deps.orm.em,
    logger: ctx.deps.logger,
    durable: 'organization-users',
    filter: 'events.identity.user.>',
    handlers,
    afterCommit: () => ctx.deps.outbox.kick(),
  });
}
