import { serviceConfigProperties } from '@gatehouse/service-kit';
import { type Static, Type } from 'typebox';

export const BillingConfig = Type.Object({
  ...serviceConfigProperties('billing', 4006),
  /** The gateway's public URL: the console's billing page (upgradeUrl) and the default redirect origin. */
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:8080' }),
  /** Without it billing runs in local mode: every organization is on Free, checkout and portal answer 503. */
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ pattern: '^(sk|rk)_(test|live)_[A-Za-z0-9_]+$' })),
  /** Webhook signing secrets (`whsec_…`), comma-separated so one can be rolled; required with the key. */
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9_]+(,whsec_[A-Za-z0-9_]+)*$' })),
  /** Tests only: where the SDK sends its calls (a local Stripe counterpart). */
  STRIPE_API_HOST: Type.Optional(Type.String({ minLength: 1 })),
  STRIPE_API_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  STRIPE_API_PROTOCOL: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')])),
  /**
   * Each Stripe call's budget. A request makes at most two calls in a row (customer then session; an object then its
   * subscription), so the defaults stay under the gateway's 10 s upstream timeout: a slow Stripe is a 503, not a 504
   * while billing carries on. Stripe retries a webhook delivery itself.
   */
  STRIPE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 4000 }),
  STRIPE_MAX_NETWORK_RETRIES: Type.Integer({ minimum: 0, maximum: 5, default: 0 }),
  /** How old a delivery's signed timestamp may be. */
  STRIPE_WEBHOOK_TOLERANCE_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 300 }),
  /** The plans file (tiers, Stripe price ids, entitlements); default: the checked-in services/billing/plans.json. */
  BILLING_PLANS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** How long a subscription may stay unpaid (past_due) before the organization becomes read-only. */
  BILLING_GRACE_SECONDS: Type.Integer({ minimum: 1, default: 604_800 }),
  /** Origins checkout and portal may send the browser back to (comma-separated); default: PUBLIC_URL's origin. */
  BILLING_REDIRECT_ORIGINS: Type.Optional(Type.String({ minLength: 1 })),
  /** How often the grace-period sweep looks for organizations whose grace has just ended. */
  BILLING_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 100, default: 60_000 }),
});
export type BillingConfig = Static<typeof BillingConfig>;
