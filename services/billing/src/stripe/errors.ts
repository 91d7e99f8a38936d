import { AppError } from '@gatehouse/contracts';
import type Stripe from 'stripe';
import type { BillingContext } from '../context.js';
import { loadedStripeErrors } from './sdk.js';

export const NOT_CONFIGURED_MESSAGE =
  'Billing is not configured on this deployment: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET (docs/billing.md)';

/** The Stripe client, or 503 BILLING_NOT_CONFIGURED in local mode. */
export function requireStripe(ctx: BillingContext): Stripe {
  if (!ctx.stripe) throw new AppError('BILLING_NOT_CONFIGURED', NOT_CONFIGURED_MESSAGE);
  return ctx.stripe;
}

/**
 * Runs one Stripe call. Stripe unreachable, slow, rate-limiting or failing on its side becomes 503
 * SERVICE_UNAVAILABLE (retry later); Stripe's message never reaches the client, it is logged without secrets.
 * A refusal of the request itself (invalid_request_error) is a bug or drift on our side: logged as an error, 503 too.
 */
export async function callStripe<T>(ctx: BillingContext, operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (failure) {
    const errors = loadedStripeErrors();
    if (!errors || !(failure instanceof errors.StripeError)) throw failure;
    const level = failure.type === 'StripeInvalidRequestError' ? 'error' : 'warn';
    ctx.deps.logger[level](
      { operation, stripeType: failure.type, stripeCode: failure.code, statusCode: failure.statusCode },
      'stripe call failed',
    );
    throw new AppError('SERVICE_UNAVAILABLE', 'The payment provider is unavailable, retry shortly', {
      reason: 'stripe',
    });
  }
}

/** Stripe said the object does not exist (a 404 `resource_missing`). */
export function isMissing(failure: unknown): boolean {
  const errors = loadedStripeErrors();
  return errors !== undefined && failure instanceof errors.StripeError && failure.code === 'resource_missing';
}
