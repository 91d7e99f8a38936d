import { conflict, validationError } from '@gatehouse/contracts';
import type { TenantAccess } from '@gatehouse/service-kit';
import { findAccount } from '../accounts/accounts.js';
import { redirectError } from '../checkout/redirects.js';
import { type BillingContext, readEm } from '../context.js';
import { callStripe, requireStripe } from '../stripe/errors.js';

/**
 * A Customer Portal session: plan, seats, payment method, invoices and cancellation are changed there. The
 * customer comes with the first checkout; an organization without an account (older than billing) has none either.
 */
export async function createPortal(ctx: BillingContext, tenant: TenantAccess, input: { returnUrl: string }) {
  const stripe = requireStripe(ctx);
  const refused = redirectError(ctx.config, 'returnUrl', input.returnUrl);
  if (refused) throw validationError([refused]);
  const account = await findAccount(readEm(ctx), tenant.organizationId);
  const customer = account?.stripe_customer_id;
  if (!customer) {
    throw conflict('NO_CUSTOMER', 'The organization has no billing customer yet: start a checkout first');
  }
  const session = await callStripe(ctx, 'billingPortal.sessions.create', () =>
    stripe.billingPortal.sessions.create({ customer, return_url: input.returnUrl }),
  );
  return { url: session.url };
}
