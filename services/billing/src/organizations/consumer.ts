import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { DurableConsumer, type EventHandlers } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ensureAccount } from '../accounts/accounts.js';
import type { BillingContext } from '../context.js';
import { forgetOrganization } from './forget.js';

async function renameAccount(em: EntityManager, organizationId: string, name: string): Promise<void> {
  await em.execute(
    'update billing_accounts set organization_name = ?, updated_at = now() where organization_id = ? and organization_name <> ?',
    [name.slice(0, 200), organizationId, name.slice(0, 200)],
  );
}

/**
 * Every organization has a billing account: created on Free (revision 1, published) when the organization is,
 * renamed with it, and gone with it (its paid subscription queued for cancellation at Stripe).
 * Exactly once per event (the consumer records each id); each step is also safe to repeat.
 */
export function organizationsConsumer(ctx: BillingContext, kickCancellations: () => void): DurableConsumer {
  const handlers: EventHandlers = {
    [EVENT_SUBJECTS.organizationCreated]: async (event, em) => {
      await ensureAccount(em, ctx, event.data.organizationId, event.data.name);
    },
    // An organization older than billing (its creation no longer in the stream) gets its account here.
    [EVENT_SUBJECTS.organizationUpdated]: async (event, em) => {
      await ensureAccount(em, ctx, event.data.organizationId, event.data.name);
      await renameAccount(em, event.data.organizationId, event.data.name);
    },
    [EVENT_SUBJECTS.organizationDeleted]: async (event, em) => {
      await forgetOrganization(em, event.data.organizationId);
    },
  };
  return new DurableConsumer({
    messaging: ctx.deps.messaging,
    em: ctx.deps.orm.em,
    logger: ctx.deps.logger,
    durable: 'billing-organizations',
    filter: 'events.organization.>',
    handlers,
    afterCommit: () => {
      ctx.deps.outbox.kick();
      // A deletion may have queued a cancellation: send it now rather than at the next pass.
      kickCancellations();
    },
  });
}
