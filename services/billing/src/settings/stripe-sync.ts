import { isDeepStrictEqual } from 'node:util';
import type Stripe from 'stripe';
import type { AccountRow } from '../accounts/accounts.js';
import type { BillingContext } from '../context.js';
import { callStripe, isMissing } from '../stripe/errors.js';
import type { BillingProfile, SettingsRow } from './store.js';

/** Stripe reads '' as "unset this field". */
const UNSET = '';

export function addressParams(profile: BillingProfile): Stripe.AddressParam | typeof UNSET {
  const { address } = profile;
  if (!address) return UNSET;
  return {
    line1: address.line1,
    line2: address.line2 ?? UNSET,
    city: address.city,
    postal_code: address.postalCode,
    state: address.state ?? UNSET,
    country: address.country,
  };
}

/**
 * The name Stripe's invoices print: the company name, else the organization's, else none (an account made by a
 * checkout before billing heard the name has ''; Stripe would read '' as "unset").
 */
export function customerName(profile: BillingProfile | null, account: AccountRow): string | undefined {
  return profile?.companyName || account.organization_name || undefined;
}

/**
 * Brings the Stripe customer to the profile (what its invoices print) and answers the id of the tax id Stripe
 * now holds. A tax id that did not change is left as it is; a changed one is replaced (Stripe cannot edit one).
 * Any failure throws 503 before anything is saved, so the two never disagree for long.
 */
export async function syncCustomer(
  ctx: BillingContext,
  stripe: Stripe,
  account: AccountRow,
  before: SettingsRow | null,
  profile: BillingProfile,
): Promise<string | null> {
  const customer = account.stripe_customer_id as string;
  const name = customerName(profile, account);
  await callStripe(ctx, 'customers.update', () =>
    stripe.customers.update(customer, {
      email: profile.billingEmail ?? UNSET,
      ...(name && { name }),
      address: addressParams(profile),
    }),
  );
  const kept =
    before?.stripeTaxId ?? (before?.taxId ? await taxIdMadeWithCustomer(ctx, stripe, customer, before) : null);
  // By content: the stored one and the request's need not list type and value in the same order.
  const sameTaxId = isDeepStrictEqual(before?.taxId ?? null, profile.taxId);
  if (sameTaxId && (kept || !profile.taxId)) return kept;
  if (kept) await deleteTaxId(ctx, stripe, customer, kept);
  const { taxId } = profile;
  if (!taxId) return null;
  const created = await callStripe(ctx, 'customers.createTaxId', () =>
    stripe.customers.createTaxId(customer, { type: taxId.type, value: taxId.value }),
  );
  return created.id;
}

/**
 * The tax id the customer was made with (checkout passes the saved profile's as `tax_id_data`), whose id the
 * profile does not know yet.
 */
async function taxIdMadeWithCustomer(
  ctx: BillingContext,
  stripe: Stripe,
  customer: string,
  before: SettingsRow,
): Promise<string | null> {
  const listed = await callStripe(ctx, 'customers.listTaxIds', () =>
    stripe.customers.listTaxIds(customer, { limit: 20 }),
  );
  const made = listed.data.find((taxId) => taxId.type === before.taxId?.type && taxId.value === before.taxId?.value);
  return made?.id ?? null;
}

/** Removes the tax id the profile had; one already gone (an earlier attempt, the dashboard) is fine. */
async function deleteTaxId(ctx: BillingContext, stripe: Stripe, customer: string, taxId: string): Promise<void> {
  await callStripe(ctx, 'customers.deleteTaxId', () => deleteUnlessGone(stripe, customer, taxId));
}

async function deleteUnlessGone(stripe: Stripe, customer: string, taxId: string): Promise<void> {
  try {
    await stripe.customers.deleteTaxId(customer, taxId);
  } catch (failure) {
    if (!isMissing(failure)) throw failure;
  }
}
