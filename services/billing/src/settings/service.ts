import { EVENT_SUBJECTS, TAX_ID_FORMATS, validationError } from '@gatehouse/contracts';
import { fieldChanges, recordActivity, type TenantAccess } from '@gatehouse/service-kit';
import { findAccount } from '../accounts/accounts.js';
import { type BillingContext, commit, readEm } from '../context.js';
import { type BillingProfile, findSettings, presentSettings, type SettingsRow, saveSettings } from './store.js';
import { syncCustomer } from './stripe-sync.js';

/** What the audit record shows of a change: the whole profile is the owner's own, none of it secret. */
const TRACKED = ['billingEmail', 'companyName', 'address', 'taxId'] as const;

export async function getBillingSettings(ctx: BillingContext, tenant: TenantAccess) {
  return presentSettings(await findSettings(readEm(ctx), tenant.organizationId));
}

/** The profile as stored: trimmed, optional address lines as null, the tax id checked against its type's format. */
function normalizeProfile(input: BillingProfile): BillingProfile {
  const { taxId, address } = input;
  if (taxId && !new RegExp(TAX_ID_FORMATS[taxId.type]).test(taxId.value)) {
    throw validationError([{ field: 'taxId.value', location: 'body', error: `is not a valid ${taxId.type} number` }]);
  }
  return {
    billingEmail: input.billingEmail,
    companyName: input.companyName?.trim() ?? null,
    address: address && {
      line1: address.line1,
      line2: address.line2 || null,
      city: address.city,
      postalCode: address.postalCode,
      state: address.state || null,
      country: address.country,
    },
    taxId,
  };
}

/**
 * Replaces the billing profile. With a Stripe customer, Stripe is brought to it first, outside any transaction;
 * if Stripe fails nothing is saved (503), so a retry does it all again.
 */
export async function updateBillingSettings(ctx: BillingContext, tenant: TenantAccess, input: BillingProfile) {
  const { organizationId } = tenant;
  const profile = normalizeProfile(input);
  const em = readEm(ctx);
  const before = await findSettings(em, organizationId);
  const account = await findAccount(em, organizationId);
  let stripeTaxId = before?.stripeTaxId ?? null;
  if (ctx.stripe && account?.stripe_customer_id) {
    stripeTaxId = await syncCustomer(ctx, ctx.stripe, account, before, profile);
  }
  const saved: SettingsRow = { organizationId, ...profile, stripeTaxId, updatedAt: new Date() };
  await commit(ctx, async (tx) => {
    await saveSettings(tx, saved);
    const changes = fieldChanges<BillingProfile>(before ?? emptyProfile(), profile, TRACKED);
    if (!changes) return;
    recordActivity(tx, EVENT_SUBJECTS.billingActivity, {
      action: 'billing.settings_updated',
      organizationId,
      userId: tenant.principal.userId,
      target: { type: 'billing_settings', id: organizationId },
      changes,
    });
  });
  return presentSettings(saved);
}

function emptyProfile(): BillingProfile {
  return { billingEmail: null, companyName: null, address: null, taxId: null };
}
