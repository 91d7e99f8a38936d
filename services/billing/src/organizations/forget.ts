import type { EntityManager } from '@mikro-orm/postgresql';
import { TERMINAL_STATUSES } from '../reconcile/snapshots.js';

/**
 * A deleted organization's billing: its live Stripe subscriptions are queued for cancellation (otherwise it
 * keeps paying for an organization that is gone), then its rows go. Memberships go in their own consumer.
 * One over (TERMINAL_STATUSES) bills nothing more: nothing to cancel. Safe to run twice: the queue ignores
 * a subscription already in it, and deletes of nothing do nothing.
 */
export async function forgetOrganization(em: EntityManager, organizationId: string): Promise<void> {
  await em.execute(
    `insert into pending_cancellations (subscription_id, organization_id)
     select subscription_id, organization_id from billing_accounts
       where organization_id = ? and subscription_id is not null and status <> 'canceled'
     union
     select id, organization_id from subscriptions
       where organization_id = ? and stripe_status not in (?, ?)
     on conflict (subscription_id) do nothing`,
    [organizationId, organizationId, ...TERMINAL_STATUSES],
  );
  for (const table of ['billing_settings', 'checkout_sessions', 'invoices', 'subscriptions', 'billing_accounts']) {
    await em.execute(`delete from ${table} where organization_id = ?`, [organizationId]);
  }
}
