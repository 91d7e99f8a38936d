import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BILLING_INTERVALS,
  type BillingInterval,
  type Entitlements,
  FREE_TIER_ID,
  MAX_AUDIT_RETENTION_DAYS,
  MIN_AUDIT_RETENTION_DAYS,
} from '@gatehouse/contracts';
import { packageRoot } from '@gatehouse/service-kit';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

const Limit = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);
const TierSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    /** The price is per seat: checkout takes a seat count, and `maxMembers: "seats"` follows it. */
    seatBased: Type.Boolean(),
    /** Stripe price ids by interval; null on the free tier. */
    prices: Type.Union([
      Type.Object({ month: Type.String({ pattern: '^price_' }), year: Type.String({ pattern: '^price_' }) }),
      Type.Null(),
    ]),
    entitlements: Type.Object(
      {
        maxProjects: Limit,
        maxMembers: Type.Union([Limit, Type.Literal('seats')]),
        ssoAllowed: Type.Boolean(),
        auditRetentionDays: Type.Integer({ minimum: MIN_AUDIT_RETENTION_DAYS, maximum: MAX_AUDIT_RETENTION_DAYS }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const PlansSchema = Type.Object(
  { version: Type.Literal(1), tiers: Type.Array(TierSchema, { minItems: 1 }) },
  { additionalProperties: false },
);

export type Tier = Static<typeof TierSchema>;

export interface Plans {
  tiers: Tier[];
  free: Tier;
  tier(id: string): Tier | undefined;
  /** The tier and interval a Stripe price id belongs to, or undefined for a price the plans file does not list. */
  priceOf(priceId: string): { tier: Tier; interval: BillingInterval } | undefined;
}

const DEFAULT_PLANS_FILE = join(packageRoot(import.meta.url), 'plans.json');

/** Reads and checks the plans file; a broken one stops the start with every problem named. */
export function loadPlans(file?: string): Plans {
  const path = file ?? DEFAULT_PLANS_FILE;
  return parsePlans(JSON.parse(readFileSync(path, 'utf8')) as unknown);
}

export function parsePlans(raw: unknown): Plans {
  if (!Value.Check(PlansSchema, raw)) {
    const problems = [...Value.Errors(PlansSchema, raw)].map(
      (error) => `${error.instancePath || '/'} ${error.message}`,
    );
    throw new Error(`plans file is invalid: ${problems.join('; ')}`);
  }
  const { tiers } = raw;
  const problems: string[] = [];
  const ids = new Set<string>();
  const prices = new Map<string, { tier: Tier; interval: BillingInterval }>();
  for (const tier of tiers) {
    if (ids.has(tier.id)) problems.push(`tier ${tier.id} is listed twice`);
    ids.add(tier.id);
    if (tier.id === FREE_TIER_ID && tier.prices) problems.push('the free tier has no prices');
    if (tier.id !== FREE_TIER_ID && !tier.prices) problems.push(`tier ${tier.id} needs prices`);
    if (tier.entitlements.maxMembers === 'seats' && !tier.seatBased) {
      problems.push(`tier ${tier.id}: maxMembers "seats" needs seatBased`);
    }
    for (const interval of BILLING_INTERVALS) {
      const price = tier.prices?.[interval];
      if (!price) continue;
      if (prices.has(price)) problems.push(`price ${price} is listed twice`);
      prices.set(price, { tier, interval });
    }
  }
  const free = tiers.find((tier) => tier.id === FREE_TIER_ID);
  if (!free) problems.push('the free tier is missing');
  if (problems.length > 0 || !free) throw new Error(`plans file is invalid: ${problems.join('; ')}`);
  const byId = new Map(tiers.map((tier) => [tier.id, tier]));
  return {
    tiers,
    free,
    tier: (id) => byId.get(id),
    priceOf: (priceId) => prices.get(priceId),
  };
}

/** What the tier allows with this many seats (seat-based tiers: as many members as seats). */
export function entitlementsOf(tier: Tier, seats: number | null): Entitlements {
  const { maxMembers, ...rest } = tier.entitlements;
  return { ...rest, maxMembers: maxMembers === 'seats' ? (seats ?? 1) : maxMembers };
}
