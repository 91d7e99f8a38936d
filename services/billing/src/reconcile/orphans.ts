import { isUlid } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { findAccount } from '../accounts/accounts.js';
import type { StripeSnapshot } from './apply.js';
import { TERMINAL_STATUSES } from './snapshots.js';

/**
 * The organization a live subscription names (its checkout set the metadata) when billing has no account for
 * it: the organization was deleted while its checkout was open, so nothing queued the subscription then. Null
 * when the subscription is over, names nothing, or names an organization billing has.
 */
async function orphanedOrganization(em: EntityManager, snapshot: StripeSnapshot): Promise<string | null> {
  const { subscription } = snapshot;
  if (!subscription || (TERMINAL_STATUSES as readonly string[]).includes(subscription.status)) return null;
  const named = subscription.metadata?.organizationId;
  if (!named || !isUlid(named)) return null;
  return (await findAccount(em, named)) ? null : named;
}

/**
 * Queues a subscription of a deleted organization for cancellation, as the deletion would have (the
 * cancellation pump sends it), so it does not bill forever. Answers what was queued, null for anything else.
 */
export async function queueOrphanCancellation(
  em: EntityManager,
  snapshot: StripeSnapshot,
): Promise<{ subscriptionId: string; organizationId: string } | null> {
  const organizationId = await orphanedOrganization(em, snapshot);
  if (!organizationId || !snapshot.subscription) return null;
  const subscriptionId = snapshot.subscription.id;
  await em.execute(
    `insert into pending_cancellations (subscription_id, organization_id) values (?, ?)
     on conflict (subscription_id) do nothing`,
    [subscriptionId, organizationId],
  );
  return { subscriptionId, organizationId };
}
