import { isDeepStrictEqual } from 'node:util';
import {
  billingPageUrl,
  type Entitlements,
  type EntitlementsChanged,
  EVENT_SUBJECTS,
  FREE_TIER_ID,
  type SubscriptionStatus,
} from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type BillingContext, commit, readEm } from '../context.js';
import { entitlementsOf } from '../plans/plans.js';

/** A billing_accounts row as PostgreSQL returns it. */
export interface AccountRow {
  organization_id: string;
  organization_name: string;
  stripe_customer_id: string | null;
  subscription_id: string | null;
  tier_id: string;
  status: SubscriptionStatus;
  interval: 'month' | 'year' | null;
  seats: number | null;
  current_period_start: Date | null;
  current_period_end: Date | null;
  cancel_at_period_end: boolean;
  past_due_since: Date | null;
  read_only_after: Date | null;
  read_only_recorded: boolean;
  entitlements: Entitlements;
  revision: string | number;
  created_at: Date;
  updated_at: Date;
}

/** The plan an organization is on, as the current subscription (or its absence) says. */
export interface AccountState {
  subscriptionId: string | null;
  tierId: string;
  status: SubscriptionStatus;
  interval: 'month' | 'year' | null;
  seats: number | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
  /** Since when a payment is owed (null: nothing is). */
  pastDueSince: Date | null;
}

/** Free, nothing owed: a new organization, or one whose paid subscription ended. */
export function freeState(): AccountState {
  return {
    subscriptionId: null,
    tierId: FREE_TIER_ID,
    status: 'active',
    interval: null,
    seats: null,
    currentPeriodStart: null,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    pastDueSince: null,
  };
}

const TIMESTAMP_COLUMNS = [
  'current_period_start',
  'current_period_end',
  'past_due_since',
  'read_only_after',
  'created_at',
  'updated_at',
] as const;

/** Raw SQL answers timestamps as text: the row as its type says, with Dates. */
function accountFrom(raw: Record<string, unknown>): AccountRow {
  const row = { ...raw } as Record<string, unknown>;
  for (const column of TIMESTAMP_COLUMNS) {
    const value = row[column];
    row[column] = value == null ? null : value instanceof Date ? value : new Date(value as string);
  }
  if (typeof row.entitlements === 'string') row.entitlements = JSON.parse(row.entitlements);
  return row as unknown as AccountRow;
}

export async function findAccount(
  em: EntityManager,
  organizationId: string,
  options: { lock?: boolean } = {},
): Promise<AccountRow | null> {
  const rows = (await em.execute(
    `select * from billing_accounts where organization_id = ?${options.lock ? ' for update' : ''}`,
    [organizationId],
  )) as Record<string, unknown>[];
  return rows[0] ? accountFrom(rows[0]) : null;
}

/**
 * The organization's account, created on Free (revision 1, published) when it has none yet. Safe to race:
 * the insert does nothing when another transaction made it first.
 */
export async function ensureAccount(
  em: EntityManager,
  ctx: BillingContext,
  organizationId: string,
  organizationName: string,
): Promise<AccountRow> {
  const entitlements = entitlementsOf(ctx.plans.free, null);
  const inserted = (await em.execute(
    `insert into billing_accounts (organization_id, organization_name, tier_id, status, entitlements, revision)
     values (?, ?, ?, 'active', ?, 1) on conflict (organization_id) do nothing returning *`,
    [organizationId, organizationName.slice(0, 200), ctx.plans.free.id, JSON.stringify(entitlements)],
  )) as Record<string, unknown>[];
  if (inserted[0]) {
    const account = accountFrom(inserted[0]);
    recordEvent(em, EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsEvent(ctx, account));
    return account;
  }
  const existing = (await findAccount(em, organizationId, { lock: true })) as AccountRow;
  if (existing.organization_name || !organizationName) return existing;
  // Made by a checkout before billing heard the organization's name (accountForCheckout): the name arrives now.
  const [renamed] = (await em.execute(
    'update billing_accounts set organization_name = ?, updated_at = now() where organization_id = ? returning *',
    [organizationName.slice(0, 200), organizationId],
  )) as Record<string, unknown>[];
  return accountFrom(renamed as Record<string, unknown>);
}

/**
 * The account a checkout works on. Membership proved the organization exists, so one older than billing (its
 * organization.created no longer in the stream) gets its account now, on Free; its name is unknown until
 * organization.updated brings it (the Stripe customer is named from the billing profile meanwhile).
 */
export async function accountForCheckout(ctx: BillingContext, organizationId: string): Promise<AccountRow> {
  const account = await findAccount(readEm(ctx), organizationId);
  return account ?? commit(ctx, (em) => ensureAccount(em, ctx, organizationId, ''));
}

/**
 * Writes the plan the organization is on now. What others enforce (tier, status, entitlements, read-only
 * deadline) is published with the next revision when it changed, in the same transaction. The caller holds
 * the row's lock (findAccount with lock). Returns the row as saved and whether anything published changed.
 */
export async function saveAccountState(
  em: EntityManager,
  ctx: BillingContext,
  account: AccountRow,
  next: AccountState,
): Promise<{ account: AccountRow; published: boolean }> {
  const tier = ctx.plans.tier(next.tierId) ?? ctx.plans.free;
  const entitlements = entitlementsOf(tier, next.seats);
  const readOnlyAfter = next.pastDueSince
    ? new Date(next.pastDueSince.getTime() + ctx.config.BILLING_GRACE_SECONDS * 1000)
    : null;
  const published =
    account.tier_id !== tier.id ||
    account.status !== next.status ||
    // jsonb keeps its own key order: compare by content.
    !isDeepStrictEqual(account.entitlements, entitlements) ||
    account.read_only_after?.getTime() !== readOnlyAfter?.getTime();
  const revision = Number(account.revision) + (published ? 1 : 0);
  const rows = (await em.execute(
    `update billing_accounts set subscription_id = ?, tier_id = ?, status = ?, interval = ?, seats = ?,
       current_period_start = ?, current_period_end = ?, cancel_at_period_end = ?, past_due_since = ?,
       read_only_after = ?, read_only_recorded = read_only_recorded and read_only_after is not distinct from ?,
       entitlements = ?, revision = ?, updated_at = now()
     where organization_id = ? returning *`,
    [
      next.subscriptionId,
      tier.id,
      next.status,
      next.interval,
      next.seats,
      next.currentPeriodStart,
      next.currentPeriodEnd,
      next.cancelAtPeriodEnd,
      next.pastDueSince,
      readOnlyAfter,
      readOnlyAfter,
      JSON.stringify(entitlements),
      revision,
      account.organization_id,
    ],
  )) as Record<string, unknown>[];
  const saved = accountFrom(rows[0] as Record<string, unknown>);
  if (published) recordEvent(em, EVENT_SUBJECTS.billingEntitlementsChanged, entitlementsEvent(ctx, saved));
  return { account: saved, published };
}

/**
 * What billing answers of an organization it has no account of (one older than billing, until its first change):
 * the free tier at revision 0, so the account's first published revision replaces it.
 */
export function unseenEntitlements(ctx: BillingContext, organizationId: string): EntitlementsChanged {
  return {
    organizationId,
    revision: 0,
    tierId: ctx.plans.free.id,
    status: 'active',
    entitlements: entitlementsOf(ctx.plans.free, null),
    readOnlyAfter: null,
    upgradeUrl: billingPageUrl(ctx.config.PUBLIC_URL, organizationId),
  };
}

/** What billing.entitlements.changed (and the entitlements RPC) says of an account. */
export function entitlementsEvent(ctx: BillingContext, account: AccountRow): EntitlementsChanged {
  return {
    organizationId: account.organization_id,
    revision: Number(account.revision),
    tierId: account.tier_id,
    status: account.status,
    entitlements: account.entitlements,
    readOnlyAfter: account.read_only_after?.toISOString() ?? null,
    upgradeUrl: billingPageUrl(ctx.config.PUBLIC_URL, account.organization_id),
  };
}
