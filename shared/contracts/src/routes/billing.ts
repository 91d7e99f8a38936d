import { Type } from 'typebox';
import { BILLING_INTERVALS, type BillingInterval, EntitlementsSchema, SUBSCRIPTION_STATUSES } from '../billing.js';
import { listQuerySchema } from '../pagination.js';
import { Nullable, OrganizationParams, Timestamp, Ulid } from './common.js';
import { defineRoutes } from './contract.js';

/** The most seats one checkout may buy. */
export const MAX_SEATS = 10_000;

/** Tax id kinds a billing profile may carry, each with the shape its value must have (Stripe's `type` names). */
export const TAX_ID_FORMATS = {
  eu_vat: '^[A-Z]{2}[0-9A-Z+*]{2,12}$',
  gb_vat: '^GB(?:[0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3})$',
  ch_vat: '^CHE-?[0-9]{3}\\.?[0-9]{3}\\.?[0-9]{3} ?(?:MWST|TVA|IVA)$',
  us_ein: '^[0-9]{2}-?[0-9]{7}$',
  ca_bn: '^[0-9]{9}$',
  au_abn: '^[0-9]{11}$',
  no_vat: '^[0-9]{9}MVA$',
  in_gst: '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][0-9A-Z]Z[0-9A-Z]$',
} as const;
export type TaxIdType = keyof typeof TAX_ID_FORMATS;
export const TAX_ID_TYPES = Object.keys(TAX_ID_FORMATS) as TaxIdType[];

const Interval = Type.Unsafe<BillingInterval>({ type: 'string', enum: [...BILLING_INTERVALS] });
const TierId = Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' });
/** An absolute http(s) URL; the service also checks its origin against BILLING_REDIRECT_ORIGINS. */
const RedirectUrl = Type.String({ minLength: 1, maxLength: 2048, format: 'uri', pattern: '^https?://' });

export const Subscription = Type.Object(
  {
    organizationId: Ulid,
    tierId: Type.String(),
    tierName: Type.String(),
    status: Type.Unsafe({ type: 'string', enum: [...SUBSCRIPTION_STATUSES] }),
    interval: Nullable(Interval),
    seats: Nullable(Type.Integer()),
    currentPeriodStart: Nullable(Timestamp),
    currentPeriodEnd: Nullable(Timestamp),
    cancelAtPeriodEnd: Type.Boolean(),
    /** When the latest payment failed and has not been made since (null: nothing is owed). */
    pastDueSince: Nullable(Timestamp),
    /** When the organization becomes read-only unless paid (past_due only). */
    graceEndsAt: Nullable(Timestamp),
    /** Writes are refused (403 SUBSCRIPTION_INACTIVE) until the subscription is paid. */
    readOnly: Type.Boolean(),
    entitlements: EntitlementsSchema,
    /** False on a deployment without Stripe keys: every organization is on the free tier. */
    billingConfigured: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const PAYMENT_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;

export const Payment = Type.Object(
  {
    /** Stripe's invoice id (`in_…`). */
    id: Type.String(),
    number: Nullable(Type.String()),
    status: Type.Unsafe({ type: 'string', enum: [...PAYMENT_STATUSES] }),
    /** ISO 4217, lower case as Stripe writes it. */
    currency: Type.String(),
    /** In the currency's smallest unit (cents). */
    amountDue: Type.Integer(),
    amountPaid: Type.Integer(),
    periodStart: Nullable(Timestamp),
    periodEnd: Nullable(Timestamp),
    hostedInvoiceUrl: Nullable(Type.String()),
    invoicePdfUrl: Nullable(Type.String()),
    paidAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);

const Address = Type.Object(
  {
    line1: Type.String({ minLength: 1, maxLength: 200 }),
    line2: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    postalCode: Type.String({ minLength: 1, maxLength: 20 }),
    state: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
    /** ISO 3166-1 alpha-2. */
    country: Type.String({ pattern: '^[A-Z]{2}$' }),
  },
  { additionalProperties: false },
);
const TaxId = Type.Object(
  {
    type: Type.Unsafe<TaxIdType>({ type: 'string', enum: TAX_ID_TYPES }),
    /** Checked against the type's format (TAX_ID_FORMATS); 400 names `taxId.value`. */
    value: Type.String({ minLength: 1, maxLength: 64 }),
  },
  { additionalProperties: false },
);
const BillingEmail = Type.String({ format: 'email', maxLength: 320 });
const CompanyName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });

export const BillingSettings = Type.Object(
  {
    billingEmail: Nullable(Type.String()),
    companyName: Nullable(Type.String()),
    address: Nullable(Address),
    taxId: Nullable(TaxId),
    /** Null until the settings are first saved. */
    updatedAt: Nullable(Timestamp),
  },
  { additionalProperties: false },
);

export const CheckoutSession = Type.Object(
  {
    /** Stripe Checkout's page: send the browser there. */
    url: Type.String(),
    sessionId: Type.String(),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);

export const StripeWebhookAnswer = Type.Object(
  {
    received: Type.Literal(true),
    /** The event id was handled before: nothing was done again. */
    duplicate: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** One tier of the plans file as anyone may read it (a pricing page); prices themselves live in Stripe. */
export const PlanTier = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    /** Checkout takes a seat count, and the member limit follows it (`maxMembers: "seats"`). */
    seatBased: Type.Boolean(),
    /** The billing intervals it can be bought for (none on the free tier). */
    intervals: Type.Array(Interval),
    entitlements: Type.Object(
      {
        maxProjects: Nullable(Type.Integer()),
        maxMembers: Type.Union([Type.Integer(), Type.Null(), Type.Literal('seats')]),
        ssoAllowed: Type.Boolean(),
        auditRetentionDays: Type.Integer(),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const tag = 'Billing';
const BASE = '/api/user/organizations/:organizationId';

export const BILLING_ROUTES = defineRoutes({
  listPlans: {
    method: 'GET',
    path: '/api/billing/plans',
    upstream: 'billing',
    tag,
    summary: 'The plans an organization can be on (tiers and what each allows)',
    auth: 'none',
    response: {
      status: 200,
      data: Type.Object({ tiers: Type.Array(PlanTier) }, { additionalProperties: false }),
    },
  },
  getSubscription: {
    method: 'GET',
    path: `${BASE}/subscription`,
    upstream: 'billing',
    tag,
    summary: "Read the organization's plan, subscription status and entitlements",
    auth: 'required',
    scopes: ['subscription:read'],
    permission: 'organization:read',
    params: OrganizationParams,
    response: { status: 200, data: Subscription },
  },
  createCheckout: {
    method: 'POST',
    path: `${BASE}/payments/checkout`,
    upstream: 'billing',
    tag,
    summary: 'Start a Stripe Checkout for a paid plan',
    description:
      'Answers the Checkout page to send the browser to. `seatCount` is required on a seat-based tier and must cover the current members. `successUrl` and `cancelUrl` must be on the deployment’s allow-list (BILLING_REDIRECT_ORIGINS). An organization with a paid subscription changes it in the portal instead (409).',
    auth: 'required',
    scopes: ['subscription:write'],
    permission: 'organization:manage-billing',
    whileReadOnly: 'allowed',
    params: OrganizationParams,
    body: Type.Object(
      {
        tierId: TierId,
        interval: Interval,
        seatCount: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SEATS })),
        successUrl: RedirectUrl,
        cancelUrl: RedirectUrl,
      },
      { additionalProperties: false },
    ),
    response: { status: 201, data: CheckoutSession },
    errors: ['INSUFFICIENT_PERMISSIONS', 'CONFLICT', 'BILLING_NOT_CONFIGURED'],
  },
  createPortal: {
    method: 'POST',
    path: `${BASE}/payments/portal`,
    upstream: 'billing',
    tag,
    summary: "Open Stripe's Customer Portal (change plan or seats, payment method, invoices, cancel)",
    auth: 'required',
    scopes: ['subscription:write'],
    permission: 'organization:manage-billing',
    whileReadOnly: 'allowed',
    params: OrganizationParams,
    body: Type.Object({ returnUrl: RedirectUrl }, { additionalProperties: false }),
    response: { status: 201, data: Type.Object({ url: Type.String() }, { additionalProperties: false }) },
    errors: ['INSUFFICIENT_PERMISSIONS', 'CONFLICT', 'BILLING_NOT_CONFIGURED'],
  },
  listPayments: {
    method: 'GET',
    path: `${BASE}/payments`,
    upstream: 'billing',
    tag,
    summary: "List the organization's invoices and payments, newest first",
    auth: 'required',
    scopes: ['payments:read'],
    permission: 'organization:read',
    params: OrganizationParams,
    query: listQuerySchema({ sort: ['createdAt', 'amountDue'] }),
    response: { status: 200, data: Payment, list: true },
  },
  getBillingSettings: {
    method: 'GET',
    path: `${BASE}/settings/billing`,
    upstream: 'billing',
    tag,
    summary: 'Read the billing profile (email, company, address, tax id)',
    auth: 'required',
    scopes: ['subscription:read'],
    permission: 'organization:read',
    params: OrganizationParams,
    response: { status: 200, data: BillingSettings },
  },
  updateBillingSettings: {
    method: 'PUT',
    path: `${BASE}/settings/billing`,
    upstream: 'billing',
    tag,
    summary: 'Change the billing profile',
    description:
      'Replaces the profile (send every field; null clears one). With Stripe configured, the Stripe customer is updated first: if Stripe cannot be reached nothing is saved (503).',
    auth: 'required',
    scopes: ['subscription:write'],
    permission: 'organization:manage-billing',
    whileReadOnly: 'allowed',
    params: OrganizationParams,
    body: Type.Object(
      {
        billingEmail: Nullable(BillingEmail),
        companyName: Nullable(CompanyName),
        address: Nullable(Address),
        taxId: Nullable(TaxId),
      },
      { additionalProperties: false },
    ),
    response: { status: 200, data: BillingSettings },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  stripeWebhook: {
    method: 'POST',
    path: '/api/webhooks/stripe',
    upstream: 'billing',
    tag,
    summary: "Stripe's event deliveries (verified by their Stripe-Signature)",
    description:
      'No Gatehouse credential: the raw body is verified against the `Stripe-Signature` header with the webhook secret and a 5-minute tolerance. Each event id is applied once; the object it names is read again from Stripe, so late or out-of-order deliveries cannot undo newer state. 503 asks Stripe to retry.',
    auth: 'none',
    limit: 'stripeWebhook',
    rawBody: true,
    headers: Type.Object({ 'stripe-signature': Type.Optional(Type.String({ maxLength: 4096 })) }),
    response: { status: 200, data: StripeWebhookAnswer },
    errors: ['BILLING_NOT_CONFIGURED'],
  },
});
