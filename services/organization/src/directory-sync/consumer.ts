import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { DurableConsumer, type EventHandlers } from '@gatehouse/service-kit';
import type { OrgContext } from '../context.js';
import { applyDirectoryChanges } from './service.js';

/** Identity's directory (SCIM) events: who belongs to which organization, with which role. */
export function directoryEventHandlers(ctx: OrgContext): EventHandlers {
  return {
    [EVENT_SUBJECTS.directoryMembershipsChanged]: async (event, em) => {
      await applyDirectoryChanges(ctx, em, event.data, event.requestId);
    },
  };
}

/**
 * A durable of its own (not organization-users): a 5,000-person group push is ten events here and
 * must not hold back sign-ups' default organizations queued behind it, nor the other way round.
 */
export function directoryConsumer(ctx: OrgContext): DurableConsumer {
  return new DurableConsumer({
    messaging: ctx.deps.messaging,
    em: ctx.deps.orm.em,
    logger: ctx.deps.logger,
    durable: 'organization-directories',
    filter: 'events.identity.directory.>',
    handlers: directoryEventHandlers(ctx),
    afterCommit: () => ctx.deps.outbox.kick(),
  });
}
