import { EVENT_SUBJECTS, FREE_TIER_ID } from '@gatehouse/contracts';
import { type Activity, createdWith, fieldChanges, recordActivity } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import type { AccountState } from '../accounts/accounts.js';
import type { Plans } from '../plans/plans.js';

/** Stripe acted (its deliveries carry no Gatehouse credential). */
const STRIPE_ACTOR = { type: 'system', id: 'stripe' } as const;

/** What the audit log shows of a subscription change. */
const CHANGED_FIELDS = ['tierId', 'seats', 'interval', 'cancelAtPeriodEnd'] as const;

type Draft = Omit<Activity, 'organizationId' | 'userId' | 'actor'>;

/** The audit actions a change of plan makes: started, changed, past due, canceled (as many as apply). */
export function subscriptionActivities(plans: Plans, before: AccountState, after: AccountState): Draft[] {
  const wasPaid = before.tierId !== FREE_TIER_ID;
  const isPaid = after.tierId !== FREE_TIER_ID;
  const drafts: Draft[] = [];
  if (!wasPaid && isPaid) {
    drafts.push({
      action: 'subscription.started',
      target: subscriptionTarget(plans, after),
      changes: createdWith({ tierId: after.tierId, seats: after.seats, interval: after.interval }),
    });
  } else if (wasPaid && !isPaid) {
    drafts.push({ action: 'subscription.canceled', target: subscriptionTarget(plans, before) });
  } else if (wasPaid && isPaid) {
    const changes = fieldChanges(before, after, CHANGED_FIELDS);
    if (changes) drafts.push({ action: 'subscription.changed', target: subscriptionTarget(plans, after), changes });
  }
  if (before.status !== 'past_due' && after.status === 'past_due') {
    drafts.push({ action: 'subscription.past_due', target: subscriptionTarget(plans, after) });
  }
  return drafts;
}

function subscriptionTarget(plans: Plans, state: AccountState): Activity['target'] {
  const name = plans.tier(state.tierId)?.name;
  return { type: 'subscription', id: state.subscriptionId ?? state.tierId, ...(name && { name }) };
}

/**
 * The audit action an invoice event makes, when the invoice as read agrees with it: a late payment_failed
 * for an invoice paid since records nothing (its invoice.paid does), nor an invoice.paid for one not paid.
 */
export function invoiceActivity({
  action,
  invoice,
}: {
  action: 'invoice.paid' | 'invoice.payment_failed';
  invoice: Stripe.Invoice;
}): Draft | null {
  const paid = invoice.status === 'paid';
  if (paid !== (action === 'invoice.paid')) return null;
  return {
    action,
    target: { type: 'invoice', id: invoice.id, ...(invoice.number && { name: invoice.number }) },
    changes: createdWith({
      amountDue: invoice.amount_due,
      amountPaid: invoice.amount_paid,
      currency: invoice.currency,
    }),
  };
}

/** Records each in the caller's transaction, as Stripe's doing. */
export function recordStripeActivities(em: EntityManager, organizationId: string, drafts: Draft[]): void {
  for (const draft of drafts) {
    recordActivity(em, EVENT_SUBJECTS.billingActivity, {
      ...draft,
      organizationId,
      userId: null,
      actor: STRIPE_ACTOR,
    });
  }
}
