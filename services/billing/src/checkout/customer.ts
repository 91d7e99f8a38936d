import type Stripe from 'stripe';
import { type AccountRow, findAccount } from '../accounts/accounts.js';
import { type BillingContext, commit } from '../context.js';
import type { SettingsRow } from '../settings/store.js';
import { addressParams, customerName } from '../settings/stripe-sync.js';
import { callStripe } from '../stripe/errors.js';

/**
 * The organization's Stripe customer, made on its first checkout with the billing profile saved so far (so the
 * first invoice prints it). The idempotency key makes a retried or concurrent creation answer the same customer,
 * and the store keeps the first one written.
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
  const customer = await callStripe(ctx, 'customers.create', () =>
    stripe.customers.create(
      {
        ...(name && { name }),
        ...(settings?.billingEmail && { email: settings.billingEmail }),
        ...(settings?.address && { address: addressParams(settings) }),
        ...(settings?.taxId && { tax_id_data: [{ type: settings.taxId.type, value: settings.taxId.value }] }),
        metadata: { organizationId },
      },
      { idempotencyKey: `customer:${organizationId}` },
    ),
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
