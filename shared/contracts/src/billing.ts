import { type Static, Type } from 'typebox';

/** Every organization starts on this tier, and returns to it when a paid subscription ends (docs/billing.md). */
export const FREE_TIER_ID = 'free';

/** A subscription's status as Gatehouse shows it (Stripe's `unpaid` reads as `past_due`, its terminal ones as `canceled`). */
export const SUBSCRIPTION_STATUSES = ['trialing', 'active', 'past_due', 'canceled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const BILLING_INTERVALS = ['month', 'year'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

/** What a plan lets an organization have; null means unlimited. */
export const EntitlementsSchema = Type.Object(
  {
    maxProjects: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    maxMembers: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    /** Published for enterprise SSO and SCIM directories; not enforced yet (docs/billing.md). */
    ssoAllowed: Type.Boolean(),
    /** The longest audit-log retention the plan includes; published, not enforced yet. */
    auditRetentionDays: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type Entitlements = Static<typeof EntitlementsSchema>;

/** The resources a plan limits, as `meta.resource` of PLAN_LIMIT_REACHED names them. */
export type LimitedResource = 'projects' | 'members';

/**
 * `events.billing.entitlements.changed`: what an organization may do now. `revision` grows by one with every
 * change, so a read model keeps the highest and ignores a late older one (0, in an RPC answer only: billing has not
 * seen the organization yet, and answers the free tier). `readOnlyAfter`: the moment the
 * organization becomes read-only if nothing is paid by then (null: never).
 */
export const EntitlementsChangedData = Type.Object({
  organizationId: Type.String(),
  revision: Type.Integer({ minimum: 0 }),
  tierId: Type.String(),
  status: Type.Unsafe<SubscriptionStatus>({ type: 'string', enum: [...SUBSCRIPTION_STATUSES] }),
  entitlements: EntitlementsSchema,
  readOnlyAfter: Type.Union([Type.String(), Type.Null()]),
  /** Where an owner upgrades or pays (the console's billing page). */
  upgradeUrl: Type.String(),
});
export type EntitlementsChanged = Static<typeof EntitlementsChangedData>;

/** RPC `billing.entitlements.get`: a read model's miss (an organization whose first event has not arrived). */
export interface EntitlementsRequest {
  organizationId: string;
}
export type EntitlementsReply = { found: true; entitlements: EntitlementsChanged } | { found: false };

/** The console's billing page of an organization: where PLAN_LIMIT_REACHED and SUBSCRIPTION_INACTIVE send people. */
export function billingPageUrl(publicUrl: string, organizationId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/orgs/${organizationId}/billing`;
}
