import { describe, expect, it } from 'vitest';
import { type AccountState, freeState } from '../src/accounts/accounts.js';
import { loadPlans } from '../src/plans/plans.js';
import { type CurrentSubscription, deriveAccountState } from '../src/reconcile/derive.js';

const plans = loadPlans();
const now = new Date('2026-12-03T08:00:00Z');
const earlier = new Date('2026-11-30T08:00:00Z');
const periodStart = new Date('2026-12-01T00:00:00Z');
const periodEnd = new Date('2026-12-31T00:00:00Z');

function subscription(patch: Partial<CurrentSubscription> = {}): CurrentSubscription {
  return {
    id: 'sub_1',
    stripeStatus: 'active',
    priceId: 'price_pro_monthly',
    quantity: 4,
    currentPeriodStart: periodStart,
    currentPeriodEnd: periodEnd,
    cancelAtPeriodEnd: false,
    ...patch,
  };
}

const proActive: AccountState = {
  subscriptionId: 'sub_1',
  tierId: 'pro',
  status: 'active',
  interval: 'month',
  seats: 4,
  currentPeriodStart: periodStart,
  currentPeriodEnd: periodEnd,
  cancelAtPeriodEnd: false,
  pastDueSince: null,
};

describe('deriveAccountState', () => {
  const cases: {
    name: string;
    current: CurrentSubscription | null;
    previous: AccountState;
    expected: AccountState;
  }[] = [
    { name: 'no current subscription → free', current: null, previous: proActive, expected: freeState() },
    {
      name: 'active → its tier, seats and periods',
      current: subscription(),
      previous: freeState(),
      expected: proActive,
    },
    {
      name: 'trialing → its tier, status trialing',
      current: subscription({ stripeStatus: 'trialing' }),
      previous: freeState(),
      expected: { ...proActive, status: 'trialing' },
    },
    {
      name: 'yearly business price → business, year',
      current: subscription({ priceId: 'price_business_yearly', quantity: 12, cancelAtPeriodEnd: true }),
      previous: proActive,
      expected: { ...proActive, tierId: 'business', interval: 'year', seats: 12, cancelAtPeriodEnd: true },
    },
    {
      name: 'past_due entered → past_due since now',
      current: subscription({ stripeStatus: 'past_due' }),
      previous: proActive,
      expected: { ...proActive, status: 'past_due', pastDueSince: now },
    },
    {
      name: 'past_due again → the first time it was owed is kept',
      current: subscription({ stripeStatus: 'past_due' }),
      previous: { ...proActive, status: 'past_due', pastDueSince: earlier },
      expected: { ...proActive, status: 'past_due', pastDueSince: earlier },
    },
    {
      name: 'unpaid → past_due',
      current: subscription({ stripeStatus: 'unpaid' }),
      previous: { ...proActive, status: 'past_due', pastDueSince: earlier },
      expected: { ...proActive, status: 'past_due', pastDueSince: earlier },
    },
    {
      name: 'paid again → active, nothing owed',
      current: subscription(),
      previous: { ...proActive, status: 'past_due', pastDueSince: earlier },
      expected: proActive,
    },
    {
      name: 'incomplete → no change (free stays free)',
      current: subscription({ stripeStatus: 'incomplete' }),
      previous: freeState(),
      expected: freeState(),
    },
    {
      name: 'incomplete → no change (a paid plan stays)',
      current: subscription({ id: 'sub_2', stripeStatus: 'incomplete', priceId: 'price_business_monthly' }),
      previous: proActive,
      expected: proActive,
    },
    {
      name: 'paused → free',
      current: subscription({ stripeStatus: 'paused' }),
      previous: proActive,
      expected: freeState(),
    },
  ];

  for (const { name, current, previous, expected } of cases) {
    it(name, () => {
      expect(deriveAccountState(current, previous, plans, now)).toEqual({ kind: 'state', state: expected });
    });
  }

  it('an unknown price keeps the previous state and names the price', () => {
    const derivation = deriveAccountState(subscription({ priceId: 'price_nobody_knows' }), proActive, plans, now);
    expect(derivation).toEqual({ kind: 'unknown_price', state: proActive, priceId: 'price_nobody_knows' });
  });
});
