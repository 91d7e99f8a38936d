import type { BillingInterval, Payment, Subscription, TaxIdType, Tier } from './billing-api';

/** How the screen names what the API answers. */

export const INTERVAL_LABELS: Record<BillingInterval, string> = { month: 'Monthly', year: 'Yearly' };

export const STATUS_LABELS: Record<Subscription['status'], { label: string; className: string }> = {
  trialing: { label: 'Trial', className: 'badge' },
  active: { label: 'Active', className: 'badge badge-success' },
  past_due: { label: 'Past due', className: 'badge badge-warning' },
  canceled: { label: 'Canceled', className: 'badge badge-warning' },
};

export const PAYMENT_STATUS_LABELS: Record<Payment['status'], { label: string; className: string }> = {
  draft: { label: 'Draft', className: 'badge' },
  open: { label: 'Due', className: 'badge badge-warning' },
  paid: { label: 'Paid', className: 'badge badge-success' },
  uncollectible: { label: 'Uncollectible', className: 'badge badge-warning' },
  void: { label: 'Void', className: 'badge' },
};

/** Every kind the API accepts (a Record, so a kind added to the contract must be named here). */
export const TAX_ID_LABELS: Record<TaxIdType, string> = {
  eu_vat: 'EU VAT number',
  gb_vat: 'UK VAT number',
  ch_vat: 'Swiss VAT number',
  us_ein: 'US Employer Identification Number',
  ca_bn: 'Canadian Business Number',
  au_abn: 'Australian Business Number',
  no_vat: 'Norwegian VAT number',
  in_gst: 'Indian GST number',
};

/** A limit, or "Unlimited" for null. */
export function limitText(limit: number | null | 'seats'): string {
  if (limit === null) return 'Unlimited';
  if (limit === 'seats') return 'One per seat';
  return String(limit);
}

export function retentionText(days: number): string {
  return days % 365 === 0 ? `${days / 365} year${days === 365 ? '' : 's'}` : `${days} days`;
}

/** What a tier includes, in one line (the plan choices' descriptions). */
export function tierSummary(tier: Tier): string {
  const { maxProjects, maxMembers, ssoAllowed, auditRetentionDays } = tier.entitlements;
  const projects = maxProjects === null ? 'Unlimited projects' : `Up to ${maxProjects} projects`;
  const members =
    maxMembers === null ? 'unlimited members' : maxMembers === 'seats' ? 'a member per seat' : `${maxMembers} members`;
  const sso = ssoAllowed ? ', single sign-on' : '';
  return `${projects}, ${members}${sso}, audit log kept ${retentionText(auditRetentionDays)}.`;
}

/** An amount in the currency's smallest unit (Stripe's cents), in the person's locale. */
export function formatAmount(amount: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(amount / 10 ** digits);
  } catch {
    // A code Intl does not know: the number as Stripe gave it, with its code.
    return `${amount} ${currency.toUpperCase()}`;
  }
}
