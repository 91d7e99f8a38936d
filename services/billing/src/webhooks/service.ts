import type Stripe from 'stripe';
import { type BillingContext, commit, readEm } from '../context.js';
import { type Applied, applySnapshot } from '../reconcile/apply.js';
import { claimEvent, databaseNow, eventHandled, settleEvent } from './events.js';
import { type EventRead, readEventObjects } from './read.js';

export interface DeliveryAnswer {
  received: true;
  /** The event id was handled before: nothing was done again. */
  duplicate: boolean;
}

/**
 * Handles one verified event, once per event id: reads what it names again from Stripe (outside any
 * transaction), then in one transaction claims the id, applies the read and records what it came to. A
 * throw rolls all of it back, the id included, so Stripe's retry does the work again.
 */
export async function handleStripeEvent(
  ctx: BillingContext,
  stripe: Stripe,
  event: Stripe.Event,
): Promise<DeliveryAnswer> {
  if (await eventHandled(readEm(ctx), event.id)) return { received: true, duplicate: true };
  // Taken before Stripe is read. Two overlapping reads may store out of order, but each change's own event is
  // read (and stamped) after that change, so the last change's read is the latest stamp and wins in the end.
  const fetchedAt = await databaseNow(readEm(ctx));
  const read: EventRead = liveModeMatches(ctx, event)
    ? await readEventObjects(ctx, stripe, event)
    : { kind: 'ignored', reason: 'livemode differs from the key' };
  const applied = await commit(ctx, async (em): Promise<Applied | null> => {
    if (!(await claimEvent(em, event))) return null;
    const outcome: Applied =
      read.kind === 'snapshot'
        ? await applySnapshot(em, ctx, read.snapshot, { fetchedAt, owedSince: owedSinceOf(event) })
        : { outcome: 'ignored', organizationId: null };
    await settleEvent(em, event.id, outcome);
    return outcome;
  });
  if (!applied) return { received: true, duplicate: true };
  logOutcome(ctx, event, read, applied);
  return { received: true, duplicate: false };
}

/** When an event reporting a debt was created: the debt began no later (null for any other event). */
function owedSinceOf(event: Stripe.Event): Date | null {
  const status = (event.data.object as { status?: unknown }).status;
  const reportsDebt =
    event.type === 'invoice.payment_failed' ||
    (event.type.startsWith('customer.subscription.') && (status === 'past_due' || status === 'unpaid'));
  return reportsDebt ? new Date(event.created * 1000) : null;
}

/** A test-mode event reaching a live deployment (or the reverse) is someone else's: it changes nothing. */
function liveModeMatches(ctx: BillingContext, event: Stripe.Event): boolean {
  const live = /^(sk|rk)_live_/.test(ctx.config.STRIPE_SECRET_KEY ?? '');
  return event.livemode === live;
}

function logOutcome(ctx: BillingContext, event: Stripe.Event, read: EventRead, applied: Applied): void {
  const fields = { eventId: event.id, eventType: event.type, outcome: applied.outcome };
  if (applied.outcome === 'unmatched') {
    ctx.deps.logger.warn(fields, 'stripe event names no organization billing knows: nothing changed');
  } else if (read.kind === 'ignored') {
    ctx.deps.logger.info({ ...fields, reason: read.reason }, 'stripe event ignored');
  } else {
    ctx.deps.logger.info({ ...fields, organizationId: applied.organizationId }, 'stripe event handled');
  }
}
