import type { AccountRow, AccountState } from '../accounts/accounts.js';
import { freeState } from '../accounts/accounts.js';
import type { Plans } from '../plans/plans.js';
import { timestampOf } from './dates.js';

/** The organization's current subscription as last read from Stripe (a subscriptions row). */
export interface CurrentSubscription {
  id: string;
  /** Stripe's status, all eight of them (active, trialing, past_due, unpaid, incomplete, paused, …). */
  stripeStatus: string;
  priceId: string;
  quantity: number;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
}

export type Derivation =
  | { kind: 'state'; state: AccountState }
  /** The price is not in the plans file: the previous state is kept (and the caller logs an error). */
  | { kind: 'unknown_price'; state: AccountState; priceId: string };

/**
 * The plan the organization is on, given its current subscription (null: none that is not over) and the state
 * it was on. `now` starts a past-due period when one begins: when Stripe was read, or earlier when the event
 * itself reported the debt.
 */
export function deriveAccountState(
  current: CurrentSubscription | null,
  previous: AccountState,
  plans: Pick<Plans, 'priceOf'>,
  now: Date,
): Derivation {
  if (!current) return { kind: 'state', state: freeState() };
  switch (current.stripeStatus) {
    case 'active':
    case 'trialing':
    case 'past_due':
    case 'unpaid':
      return paidState(current, previous, plans, now);
    // Not paid for the first time yet: whatever the organization was on stays until it is (or expires).
    case 'incomplete':
      return { kind: 'state', state: previous };
    // paused, or a status this build does not know: nothing is being paid for.
    default:
      return { kind: 'state', state: freeState() };
  }
}

function paidState(
  current: CurrentSubscription,
  previous: AccountState,
  plans: Pick<Plans, 'priceOf'>,
  now: Date,
): Derivation {
  const price = plans.priceOf(current.priceId);
  if (!price) return { kind: 'unknown_price', state: previous, priceId: current.priceId };
  const owed = current.stripeStatus === 'past_due' || current.stripeStatus === 'unpaid';
  return {
    kind: 'state',
    state: {
      subscriptionId: current.id,
      tierId: price.tier.id,
      status: owed ? 'past_due' : (current.stripeStatus as 'active' | 'trialing'),
      interval: price.interval,
      seats: current.quantity,
      currentPeriodStart: current.currentPeriodStart,
      currentPeriodEnd: current.currentPeriodEnd,
      cancelAtPeriodEnd: current.cancelAtPeriodEnd,
      // The grace period counts from the first time the payment was owed, not from each retry's failure.
      pastDueSince: owed ? (previous.pastDueSince ?? now) : null,
    },
  };
}

/** The state an account row holds. */
export function accountStateOf(row: AccountRow): AccountState {
  return {
    subscriptionId: row.subscription_id,
    tierId: row.tier_id,
    status: row.status,
    interval: row.interval,
    seats: row.seats,
    currentPeriodStart: timestampOf(row.current_period_start),
    currentPeriodEnd: timestampOf(row.current_period_end),
    cancelAtPeriodEnd: row.cancel_at_period_end,
    pastDueSince: timestampOf(row.past_due_since),
  };
}
