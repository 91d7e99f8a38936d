import {
  type BillingInterval,
  conflict,
  EVENT_SUBJECTS,
  type FieldError,
  FREE_TIER_ID,
  validationError,
} from '@gatehouse/contracts';
import { createdWith, recordActivity, type TenantAccess } from '@gatehouse/service-kit';
import { type AccountRow, accountForCheckout } from '../accounts/accounts.js';
import { type BillingContext, commit, readEm } from '../context.js';
import { countMembers } from '../memberships/service.js';
import type { Tier } from '../plans/plans.js';
import { findSettings } from '../settings/store.js';
import { callStripe, requireStripe } from '../stripe/errors.js';
import { ensureCustomer } from './customer.js';
import { redirectError } from './redirects.js';

export interface CheckoutInput {
  tierId: string;
  interval: BillingInterval;
  seatCount?: number;
  successUrl: string;
  cancelUrl: string;
}

const bodyError = (field: string, error: string): FieldError => ({ field, location: 'body', error });

/** The tier and seat count a checkout buys, or every field error found (all at once, so a form can show them). */
async function checkCheckout(ctx: BillingContext, organizationId: string, input: CheckoutInput) {
  const errors: FieldError[] = [];
  for (const field of ['successUrl', 'cancelUrl'] as const) {
    const refused = redirectError(ctx.config, field, input[field]);
    if (refused) errors.push(refused);
  }
  const tier = input.tierId === FREE_TIER_ID ? undefined : ctx.plans.tier(input.tierId);
  if (!tier) errors.push(bodyError('tierId', 'is not a paid tier of this deployment'));
  if (tier?.seatBased && input.seatCount === undefined) {
    errors.push(bodyError('seatCount', 'is required on a seat-based tier'));
  }
  if (tier && !tier.seatBased && input.seatCount !== undefined) {
    errors.push(bodyError('seatCount', 'is not taken by a flat-priced tier'));
  }
  if (tier?.seatBased && input.seatCount !== undefined) {
    const members = await countMembers(ctx, organizationId);
    if (input.seatCount < members) {
      errors.push(bodyError('seatCount', `must cover the organization's ${members} current members`));
    }
  }
  if (errors.length > 0 || !tier) throw validationError(errors);
  return { tier, seats: tier.seatBased ? (input.seatCount ?? null) : null };
}

function refuseSubscribed(account: AccountRow): void {
  if (account.subscription_id && account.status !== 'canceled') {
    throw conflict(
      'ALREADY_SUBSCRIBED',
      'The organization already has a paid subscription: change its plan or seats in the billing portal',
    );
  }
}

/**
 * Starts a Stripe Checkout for a paid tier. Every Stripe call runs outside a transaction (a slow Stripe must not
 * hold a connection or a lock); the session is recorded after it exists, so a completed checkout can be matched.
 */
export async function createCheckout(ctx: BillingContext, tenant: TenantAccess, input: CheckoutInput) {
  const stripe = requireStripe(ctx);
  const { organizationId } = tenant;
  const { tier, seats } = await checkCheckout(ctx, organizationId, input);
  const account = await accountForCheckout(ctx, organizationId);
  refuseSubscribed(account);
  const customer = await ensureCustomer(ctx, stripe, account, await findSettings(readEm(ctx), organizationId));
  const price = priceOf(tier, input.interval);
  const session = await callStripe(ctx, 'checkout.sessions.create', () =>
    stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      client_reference_id: organizationId,
      line_items: [{ price, quantity: seats ?? 1 }],
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      subscription_data: { metadata: { organizationId, tierId: tier.id } },
      metadata: { organizationId },
    }),
  );
  if (!session.url) throw new Error('Stripe answered a subscription checkout session without a url');
  await commit(ctx, async (tx) => {
    await tx.execute(
      `insert into checkout_sessions (id, organization_id, tier_id, interval, seats, created_by_user_id)
       values (?, ?, ?, ?, ?, ?)`,
      [session.id, organizationId, tier.id, input.interval, seats ?? 1, tenant.principal.userId],
    );
    recordActivity(tx, EVENT_SUBJECTS.billingActivity, {
      action: 'billing.checkout_started',
      organizationId,
      userId: tenant.principal.userId,
      target: { type: 'subscription', id: session.id, name: tier.name },
      changes: createdWith({ tierId: tier.id, interval: input.interval, seats }),
    });
  });
  return { url: session.url, sessionId: session.id, expiresAt: new Date(session.expires_at * 1000).toISOString() };
}

function priceOf(tier: Tier, interval: BillingInterval): string {
  const price = tier.prices?.[interval];
  // parsePlans guarantees both prices on every paid tier.
  if (!price) throw new Error(`tier ${tier.id} has no ${interval} price`);
  return price;
}
