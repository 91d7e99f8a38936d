import type { EntityManager } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import type { Applied } from '../reconcile/apply.js';
import { timestampOf } from '../reconcile/dates.js';

/** The event id was handled before (a redelivery, or a replay of a captured one). */
export async function eventHandled(em: EntityManager, eventId: string): Promise<boolean> {
  const rows = await em.execute('select 1 from stripe_events where id = ?', [eventId]);
  return rows.length > 0;
}

/**
 * Claims the event id in the caller's transaction: false when another delivery of it got there first (a
 * concurrent one waits here until that one commits). Rolled back with the work, so a failure is redone.
 */
export async function claimEvent(em: EntityManager, event: Stripe.Event): Promise<boolean> {
  const rows = await em.execute(
    `insert into stripe_events (id, type, stripe_created, outcome) values (?, ?, to_timestamp(?), 'ignored')
     on conflict (id) do nothing returning id`,
    [event.id, event.type.slice(0, 100), event.created],
  );
  return rows.length > 0;
}

/** What handling the event came to. */
export async function settleEvent(em: EntityManager, eventId: string, applied: Applied): Promise<void> {
  await em.execute('update stripe_events set outcome = ?, organization_id = ? where id = ?', [
    applied.outcome,
    applied.organizationId,
    eventId,
  ]);
}

/** The database's clock: the same for every replica, so the reads it orders compare across them. */
export async function databaseNow(em: EntityManager): Promise<Date> {
  const rows = (await em.execute('select clock_timestamp() as now')) as { now: string }[];
  return timestampOf(rows[0]!.now) as Date;
}
