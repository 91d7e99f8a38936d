import type { EntityManager } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import type { Plans } from '../plans/plans.js';
import { timestampOf } from './dates.js';
import type { CurrentSubscription } from './derive.js';

/** Stripe's statuses of a subscription that is over: never the organization's current one. */
export const TERMINAL_STATUSES = ['canceled', 'incomplete_expired'] as const;

const dateOf = (seconds: number | null | undefined): Date | null =>
  seconds === null || seconds === undefined ? null : new Date(seconds * 1000);

/** The id an expandable field names, whether Stripe sent the id or the object. */
export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === 'string' ? value : value.id;
}

/**
 * Writes the subscription as just read from Stripe, unless a later read is already stored (Stripe's deliveries
 * arrive in any order; `fetchedAt` orders the reads). True when this snapshot was written.
 */
export async function upsertSubscription(
  em: EntityManager,
  plans: Plans,
  organizationId: string,
  subscription: Stripe.Subscription,
  fetchedAt: Date,
): Promise<boolean> {
  // Gatehouse's checkouts have one item (one price, a seat quantity); the periods live on the item.
  const item = subscription.items.data[0];
  const priceId = item?.price.id ?? '';
  const price = plans.priceOf(priceId);
  const rows = await em.execute(
    `insert into subscriptions (id, organization_id, customer_id, stripe_status, price_id, tier_id, interval, quantity,
       current_period_start, current_period_end, cancel_at_period_end, stripe_created, synced_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (id) do update set organization_id = excluded.organization_id, customer_id = excluded.customer_id,
       stripe_status = excluded.stripe_status, price_id = excluded.price_id, tier_id = excluded.tier_id,
       interval = excluded.interval, quantity = excluded.quantity,
       current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
       cancel_at_period_end = excluded.cancel_at_period_end, stripe_created = excluded.stripe_created,
       synced_at = excluded.synced_at
     where subscriptions.synced_at < excluded.synced_at
     returning id`,
    [
      subscription.id,
      organizationId,
      idOf(subscription.customer),
      subscription.status,
      priceId,
      price?.tier.id ?? null,
      price?.interval ?? null,
      item?.quantity ?? 1,
      dateOf(item?.current_period_start),
      dateOf(item?.current_period_end),
      subscription.cancel_at_period_end,
      dateOf(subscription.created),
      fetchedAt,
    ],
  );
  return rows.length > 0;
}

/** Writes the invoice as just read from Stripe, unless a later read is stored. True when written. */
export async function upsertInvoice(
  em: EntityManager,
  organizationId: string,
  invoice: Stripe.Invoice,
  fetchedAt: Date,
): Promise<boolean> {
  const rows = await em.execute(
    `insert into invoices (id, organization_id, subscription_id, number, status, currency, amount_due, amount_paid,
       period_start, period_end, hosted_invoice_url, invoice_pdf_url, paid_at, stripe_created, synced_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (id) do update set organization_id = excluded.organization_id,
       subscription_id = excluded.subscription_id, number = excluded.number, status = excluded.status,
       currency = excluded.currency, amount_due = excluded.amount_due, amount_paid = excluded.amount_paid,
       period_start = excluded.period_start, period_end = excluded.period_end,
       hosted_invoice_url = excluded.hosted_invoice_url, invoice_pdf_url = excluded.invoice_pdf_url,
       paid_at = excluded.paid_at, stripe_created = excluded.stripe_created, synced_at = excluded.synced_at
     where invoices.synced_at < excluded.synced_at
     returning id`,
    [
      invoice.id,
      organizationId,
      invoiceSubscriptionId(invoice),
      invoice.number,
      invoice.status ?? 'draft',
      invoice.currency,
      invoice.amount_due,
      invoice.amount_paid,
      dateOf(invoice.period_start),
      dateOf(invoice.period_end),
      invoice.hosted_invoice_url ?? null,
      invoice.invoice_pdf ?? null,
      dateOf(invoice.status_transitions?.paid_at),
      dateOf(invoice.created),
      fetchedAt,
    ],
  );
  return rows.length > 0;
}

/** The subscription an invoice bills (null for a one-off invoice). */
export function invoiceSubscriptionId(invoice: Stripe.Invoice): string | null {
  return idOf(invoice.parent?.subscription_details?.subscription);
}

interface SubscriptionRow {
  id: string;
  stripe_status: string;
  price_id: string;
  quantity: number;
  current_period_start: string | null;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
}

/**
 * The organization's subscriptions not over, the one created last at Stripe first: that one is current (so
 * an old subscription's late `deleted` cannot end the new one). Empty when every one is over.
 */
export async function liveSubscriptions(em: EntityManager, organizationId: string): Promise<CurrentSubscription[]> {
  const rows = (await em.execute(
    `select id, stripe_status, price_id, quantity, current_period_start, current_period_end, cancel_at_period_end
     from subscriptions where organization_id = ? and stripe_status not in (?, ?)
     order by stripe_created desc, id desc`,
    [organizationId, ...TERMINAL_STATUSES],
  )) as SubscriptionRow[];
  return rows.map((row) => ({
    id: row.id,
    stripeStatus: row.stripe_status,
    priceId: row.price_id,
    quantity: row.quantity,
    currentPeriodStart: timestampOf(row.current_period_start),
    currentPeriodEnd: timestampOf(row.current_period_end),
    cancelAtPeriodEnd: row.cancel_at_period_end,
  }));
}
