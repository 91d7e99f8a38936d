import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import { type AccountRow, findAccount } from '../accounts/accounts.js';
import { type BillingContext, commit } from '../context.js';
import type { SettingsRow } from '../settings/store.js';
import { addressParams, customerName } from '../settings/stripe-sync.js';
import { callStripe } from '../stripe/errors.js';

/**
 * The key of one customer creation: the same organization and parameters answer the same customer (a retry, or
 * two checkouts at once), while a profile changed since a failed attempt makes a new request (Stripe refuses a
 * key reused with other parameters for 24 hours).
 */
export function customerKey(organizationId: string, params: Stripe.CustomerCreateParams): string {
  const digest = createHash('sha256').update(JSON.stringify(params)).digest('hex');
  return `customer:${organizationId}:${digest.slice(0, 16)}`;
}

/**
 * The organization's Stripe customer, made on its first checkout with the billing profile saved so far (so the
 * first invoice prints it). The idempotency key makes a retried or concurrent creation with the same profile
 * answer the same customer, and the store keeps the first one written.
 */
export async function ensureCustomer(
  ctx: BillingContext,
  stripe: Stripe,
  account: AccountRow,
  settings: SettingsRow | null,
): Promise<string> {
  if (account.stripe_customer_id) return account.stripe_customer_id;
  const organizationId = account.organization_id;
  const name = customerName(settings, account);
  const params: Stripe.CustomerCreateParams = {
    ...(name && { name }),
    ...(settings?.billingEmail && { email: settings.billingEmail }),
    ...(settings?.address && { address: addressParams(settings) }),
    ...(settings?.taxId && { tax_id_data: [{ type: settings.taxId.type, value: settings.taxId.value }] }),
    metadata: { organizationId },
  };
  const customer = await callStripe(ctx, 'customers.create', () =>
    stripe.customers.create(params, { idempotencyKey: customerKey(organizationId, params) }),
  );
  return commit(ctx, async (em) => {
    await em.execute(
      'update billing_accounts set stripe_customer_id = ?, updated_at = now() where organization_id = ? and stripe_customer_id is null',
      [customer.id, organizationId],
    );
    const stored = await findAccount(em, organizationId);
    return stored?.stripe_customer_id ?? customer.id;
  });
}
