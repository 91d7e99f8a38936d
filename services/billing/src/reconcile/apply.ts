import type { EntityManager } from '@mikro-orm/postgresql';
import type Stripe from 'stripe';
import { findAccount, saveAccountState } from '../accounts/accounts.js';
import type { BillingContext } from '../context.js';
import { invoiceActivity, recordStripeActivities, subscriptionActivities } from './activities.js';
import { accountStateOf, type CurrentSubscription, deriveAccountState } from './derive.js';
import { queueOrphanCancellation } from './orphans.js';
import { idOf, liveSubscriptions, upsertInvoice, upsertSubscription } from './snapshots.js';

/** What Stripe said, read again after an event named it (never the event's own copy). */
export interface StripeSnapshot {
  /** The subscription the event concerns; null for an invoice that bills none. */
  subscription: Stripe.Subscription | null;
  /** For invoice events: the invoice, and which event named it (the audit action, when the read agrees). */
  invoice: { invoice: Stripe.Invoice; action: 'invoice.paid' | 'invoice.payment_failed' } | null;
  customerId: string | null;
  /** For a completed checkout: the session, whose organization must be the one Gatehouse started it for. */
  checkout: { sessionId: string; organizationId: string | null } | null;
}

export type EventOutcome = 'applied' | 'stale' | 'ignored' | 'unmatched';

export interface Applied {
  outcome: EventOutcome;
  organizationId: string | null;
}

/** When the read was taken (it orders the snapshots), and since when the event itself said a payment was owed. */
export interface ReadTimes {
  fetchedAt: Date;
  /** The created time of an event that reported the debt (null for any other): a delivery Stripe retried for
   * days must not start the grace period late. Never earlier than the debt, since that event followed it. */
  owedSince: Date | null;
}

/**
 * Folds a fresh read from Stripe into the organization's rows, in the caller's transaction: the snapshots
 * (each only over an older one), then the plan its current subscription puts it on, published and recorded
 * when it changed.
 */
export async function applySnapshot(
  em: EntityManager,
  ctx: BillingContext,
  snapshot: StripeSnapshot,
  { fetchedAt, owedSince }: ReadTimes,
): Promise<Applied> {
  const organizationId = await organizationOf(em, snapshot);
  // Resolved without a lock: the organization may have been deleted (and its account forgotten) since.
  const account = organizationId ? await findAccount(em, organizationId, { lock: true }) : null;
  if (!organizationId || !account) return unmatched(em, ctx, snapshot);

  const wroteSubscription =
    snapshot.subscription !== null &&
    (await upsertSubscription(em, ctx.plans, organizationId, snapshot.subscription, fetchedAt));
  const wroteInvoice =
    snapshot.invoice !== null && (await upsertInvoice(em, organizationId, snapshot.invoice.invoice, fetchedAt));
  if (snapshot.customerId) await rememberCustomer(em, organizationId, snapshot.customerId);

  const before = accountStateOf(account);
  const current = await currentOf(ctx, em, organizationId);
  const derivation = deriveAccountState(current, before, ctx.plans, earlierOf(fetchedAt, owedSince));
  if (derivation.kind === 'unknown_price') {
    ctx.deps.logger.error(
      { organizationId, priceId: derivation.priceId },
      'the subscription has a price the plans file does not list: its plan is kept as it was',
    );
  }
  await saveAccountState(em, ctx, account, derivation.state);
  const activities = subscriptionActivities(ctx.plans, before, derivation.state);
  const invoiceDraft = wroteInvoice && snapshot.invoice ? invoiceActivity(snapshot.invoice) : null;
  if (invoiceDraft) activities.push(invoiceDraft);
  recordStripeActivities(em, organizationId, activities);
  // An older read than one already stored changes nothing: the newer one was applied before.
  return { outcome: wroteSubscription || wroteInvoice ? 'applied' : 'stale', organizationId };
}

/** No organization billing has: nothing changes, except that a deleted organization's subscription is cancelled. */
async function unmatched(em: EntityManager, ctx: BillingContext, snapshot: StripeSnapshot): Promise<Applied> {
  const queued = await queueOrphanCancellation(em, snapshot);
  if (queued) {
    ctx.deps.logger.warn(queued, 'a live subscription names a deleted organization: queued for cancellation');
  }
  return { outcome: 'unmatched', organizationId: null };
}

/**
 * Whose subscription this is: the organization a completed checkout was started for; else the one the
 * subscription's metadata names (checkout sets it); else the one whose Stripe customer it is. Only an
 * organization billing has an account for.
 */
async function organizationOf(em: EntityManager, snapshot: StripeSnapshot): Promise<string | null> {
  if (snapshot.checkout) {
    const { sessionId, organizationId } = snapshot.checkout;
    if (!organizationId) return null;
    const started = await em.execute('select 1 from checkout_sessions where id = ? and organization_id = ?', [
      sessionId,
      organizationId,
    ]);
    return started.length > 0 && (await findAccount(em, organizationId)) ? organizationId : null;
  }
  const named = snapshot.subscription?.metadata?.organizationId;
  if (named && (await findAccount(em, named))) return named;
  const customerId = snapshot.customerId ?? idOf(snapshot.subscription?.customer);
  if (!customerId) return null;
  const rows = (await em.execute('select organization_id from billing_accounts where stripe_customer_id = ?', [
    customerId,
  ])) as { organization_id: string }[];
  return rows[0]?.organization_id ?? null;
}

/**
 * The current subscription (the newest live one). Two live at once (two checkouts raced) both bill: the
 * organization gets the newest, and an operator is told to refund or cancel the other (never done here).
 */
async function currentOf(
  ctx: BillingContext,
  em: EntityManager,
  organizationId: string,
): Promise<CurrentSubscription | null> {
  const live = await liveSubscriptions(em, organizationId);
  if (live.length > 1) {
    ctx.deps.logger.error(
      { organizationId, subscriptionIds: live.map((subscription) => subscription.id) },
      'the organization has more than one live Stripe subscription: the newest applies, refund or cancel the others',
    );
  }
  return live[0] ?? null;
}

const earlierOf = (date: Date, other: Date | null): Date => (other && other < date ? other : date);

/** The account learns its Stripe customer when it has none yet (and no other account claims it). */
async function rememberCustomer(em: EntityManager, organizationId: string, customerId: string): Promise<void> {
  await em.execute(
    `update billing_accounts set stripe_customer_id = ?
     where organization_id = ? and stripe_customer_id is null
       and not exists (select 1 from billing_accounts where stripe_customer_id = ?)`,
    [customerId, organizationId, customerId],
  );
}
