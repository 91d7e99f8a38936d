import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { DurableConsumer, type EventHandlers } from '@gatehouse/service-kit';
import type { OrgContext } from './context.js';
import { forgetDirectoryUser, recordDirectoryUserMfa, upsertDirectoryUser } from './directory/service.js';
import { removeUserEverywhere } from './members/service.js';
import { provisionDefault } from './organizations/service.js';

/** Identity's user events: the directory's copy (with its MFA flag), the default organization, and leaving on deletion. */
export const userEventHandlers: EventHandlers = {
  [EVENT_SUBJECTS.userRegistered]: async (event, em) => {
    await upsertDirectoryUser(em, event.data);
    await provisionDefault(em, event.data, event.requestId);
  },
  [EVENT_SUBJECTS.userUpdated]: async (event, em) => {
    await upsertDirectoryUser(em, event.data);
  },
  [EVENT_SUBJECTS.userSecurityChanged]: async (event, em) => {
    await recordDirectoryUserMfa(em, event.data.userId, event.data.mfaEnabled);
  },
  [EVENT_SUBJECTS.userDeleted]: async (event, em) => {
    await removeUserEverywhere(em, event.data.userId, event.requestId);
    await forgetDirectoryUser(em, event.data.userId);
  },
};

export function userConsumer(ctx: OrgContext): DurableConsumer {
  return new DurableConsumer({
    messaging: ctx.deps.messaging,
    em: ctx.deps.orm.em,
    logger: ctx.deps.logger,
    durable: 'organization-users',
    filter: 'events.identity.user.>',
    handlers: userEventHandlers,
    afterCommit: () => ctx.deps.outbox.kick(),
  });
}
