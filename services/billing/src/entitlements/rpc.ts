import { type EntitlementsReply, type EntitlementsRequest, RPC_SUBJECTS } from '@gatehouse/contracts';
import { serveRpc } from '@gatehouse/service-kit';
import type { Subscription } from 'nats';
import { entitlementsEvent, findAccount, unseenEntitlements } from '../accounts/accounts.js';
import { type BillingContext, readEm } from '../context.js';

/**
 * What billing says of an organization's entitlements now: the answer to a read model's miss. Callers only ask
 * about organizations that exist, so one without an account is older than billing and on Free (revision 0,
 * nothing written: its account comes with its first change).
 */
export async function entitlementsReply(ctx: BillingContext, request: EntitlementsRequest): Promise<EntitlementsReply> {
  const organizationId = request?.organizationId;
  if (typeof organizationId !== 'string') return { found: false };
  const account = await findAccount(readEm(ctx), organizationId);
  const entitlements = account ? entitlementsEvent(ctx, account) : unseenEntitlements(ctx, organizationId);
  return { found: true, entitlements };
}

/** Answers `billing.entitlements.get` (the other services ask when their read model has no row yet). */
export function serveEntitlements(ctx: BillingContext): Subscription {
  const { messaging, logger } = ctx.deps;
  return serveRpc<EntitlementsRequest, EntitlementsReply>(
    messaging.nc,
    messaging.subject(RPC_SUBJECTS.getEntitlements),
    logger,
    (request) => entitlementsReply(ctx, request),
  );
}
