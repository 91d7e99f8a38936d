import type Stripe from 'stripe';
import type { BillingContext } from '../context.js';
import type { StripeSnapshot } from '../reconcile/apply.js';
import { idOf, invoiceSubscriptionId } from '../reconcile/snapshots.js';
import { callStripe, isMissing } from '../stripe/errors.js';

/** What an event leads to: a fresh read of what it names, or nothing to do (and why, for the log). */
export type EventRead = { kind: 'snapshot'; snapshot: StripeSnapshot } | { kind: 'ignored'; reason: string };

const ignored = (reason: string): EventRead => ({ kind: 'ignored', reason });

/**
 * Reads again from Stripe the objects the event names: its payload may be stale, reordered or replayed, and
 * only what Stripe says now may be applied. Called outside any transaction; Stripe failing is 503 (Stripe
 * retries the delivery later).
 */
export async function readEventObjects(ctx: BillingContext, stripe: Stripe, event: Stripe.Event): Promise<EventRead> {
  const objectId = (event.data.object as { id?: unknown }).id;
  if (typeof objectId !== 'string') return ignored('no object id');
  switch (event.type) {
    case 'checkout.session.completed':
      return readCheckout(ctx, stripe, objectId);
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted':
      return readSubscription(ctx, stripe, objectId);
    case 'invoice.paid':
    case 'invoice.payment_failed':
      return readInvoice(ctx, stripe, objectId, event.type);
    default:
      return ignored('event type not handled');
  }
}

async function readCheckout(ctx: BillingContext, stripe: Stripe, sessionId: string): Promise<EventRead> {
  const session = await retrieve(ctx, 'checkout.sessions.retrieve', () => stripe.checkout.sessions.retrieve(sessionId));
  if (!session) return ignored('checkout session missing');
  if (session.mode !== 'subscription') return ignored('checkout session is not a subscription');
  const subscriptionId = idOf(session.subscription);
  if (!subscriptionId) return ignored('checkout session has no subscription');
  const subscription = await retrieveSubscription(ctx, stripe, subscriptionId);
  if (!subscription) return ignored('subscription missing');
  return snapshot({
    subscription,
    invoice: null,
    customerId: idOf(session.customer) ?? idOf(subscription.customer),
    checkout: { sessionId: session.id, organizationId: session.client_reference_id },
  });
}

async function readSubscription(ctx: BillingContext, stripe: Stripe, subscriptionId: string): Promise<EventRead> {
  // A canceled subscription stays retrievable: `deleted` is read like the others.
  const subscription = await retrieveSubscription(ctx, stripe, subscriptionId);
  if (!subscription) return ignored('subscription missing');
  return snapshot({ subscription, invoice: null, customerId: idOf(subscription.customer), checkout: null });
}

async function readInvoice(
  ctx: BillingContext,
  stripe: Stripe,
  invoiceId: string,
  action: 'invoice.paid' | 'invoice.payment_failed',
): Promise<EventRead> {
  const invoice = await retrieve(ctx, 'invoices.retrieve', () => stripe.invoices.retrieve(invoiceId));
  if (!invoice) return ignored('invoice missing');
  const subscriptionId = invoiceSubscriptionId(invoice);
  const subscription = subscriptionId ? await retrieveSubscription(ctx, stripe, subscriptionId) : null;
  return snapshot({
    subscription,
    invoice: { invoice, action },
    customerId: idOf(invoice.customer),
    checkout: null,
  });
}

const snapshot = (value: StripeSnapshot): EventRead => ({ kind: 'snapshot', snapshot: value });

function retrieveSubscription(ctx: BillingContext, stripe: Stripe, id: string): Promise<Stripe.Subscription | null> {
  return retrieve(ctx, 'subscriptions.retrieve', () => stripe.subscriptions.retrieve(id));
}

/** One read; an object Stripe says does not exist is null (retrying would not bring it back), any other failure 503. */
function retrieve<T>(ctx: BillingContext, operation: string, read: () => Promise<T>): Promise<T | null> {
  return callStripe(ctx, operation, async () => {
    try {
      return await read();
    } catch (failure) {
      if (isMissing(failure)) return null;
      throw failure;
    }
  });
}
