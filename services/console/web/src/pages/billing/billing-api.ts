import type { components } from '@gatehouse/sdk';
import { useQuery } from '@tanstack/react-query';
import { api, call, callList } from '../../api/client';
import { organizationKey } from '../../api/organizations';
import { fetchMembers } from '../organization/queries';

/** The billing screen's reads: the subscription, the plans, the billing profile, the payments. */

export type Subscription = components['schemas']['Subscription'];
export type BillingSettings = components['schemas']['BillingSettings'];
export type Payment = components['schemas']['Payment'];
export type BillingInterval = NonNullable<Subscription['interval']>;
export type TaxIdType = NonNullable<BillingSettings['taxId']>['type'];

/** One tier of GET /api/billing/plans (`intervals` empty on the free tier; `maxMembers: 'seats'` follows the seats bought). */
export type Tier = components['schemas']['PlanTier'];

export const SUBSCRIPTION = '/api/user/organizations/{organizationId}/subscription' as const;
export const CHECKOUT = '/api/user/organizations/{organizationId}/payments/checkout' as const;
export const PORTAL = '/api/user/organizations/{organizationId}/payments/portal' as const;
const PAYMENTS = '/api/user/organizations/{organizationId}/payments' as const;
export const BILLING_SETTINGS = '/api/user/organizations/{organizationId}/settings/billing' as const;

/** shared/contracts FREE_TIER_ID: where every organization starts, and returns when a paid plan ends. */
export const FREE_TIER_ID = 'free';
/** shared/contracts MAX_SEATS: the most seats one checkout buys. */
export const MAX_SEATS = 10_000;
export const PAYMENT_PAGE_SIZE = 20;

export const billingKey = (organizationId: string) => [...organizationKey(organizationId), 'billing'] as const;
export const subscriptionKey = (organizationId: string) => [...billingKey(organizationId), 'subscription'] as const;
export const billingSettingsKey = (organizationId: string) => [...billingKey(organizationId), 'settings'] as const;
export const paymentsKey = (organizationId: string) => [...billingKey(organizationId), 'payments'] as const;
const PLANS_KEY = ['billing-plans'] as const;

/**
 * The organization's plan. `rereadIn` lets the screen read it again while a paid checkout is
 * still on its way from Stripe's webhook.
 */
export function useSubscription(
  organizationId: string,
  rereadIn: (subscription: Subscription | undefined, reads: number) => number | false = () => false,
) {
  return useQuery({
    queryKey: subscriptionKey(organizationId),
    queryFn: () => call(api.GET(SUBSCRIPTION, { params: { path: { organizationId } } })),
    refetchInterval: (query) => rereadIn(query.state.data, query.state.dataUpdateCount),
  });
}

/** The deployment's tiers (the same for every organization). */
export function usePlans() {
  return useQuery({
    queryKey: PLANS_KEY,
    queryFn: async (): Promise<Tier[]> => (await call(api.GET('/api/billing/plans'))).tiers,
    staleTime: 5 * 60_000,
  });
}

/** How many members the organization has now: a checkout must buy at least that many seats. */
export function useMemberCount(organizationId: string) {
  return useQuery({
    queryKey: [...billingKey(organizationId), 'member-count'],
    queryFn: async () => {
      const page = await fetchMembers(organizationId, { limit: 1 });
      return page.total ?? page.items.length;
    },
  });
}

export function useBillingSettings(organizationId: string) {
  return useQuery({
    queryKey: billingSettingsKey(organizationId),
    queryFn: () => call(api.GET(BILLING_SETTINGS, { params: { path: { organizationId } } })),
  });
}

export function fetchPayments(organizationId: string, cursor: string | undefined) {
  return callList(
    api.GET(PAYMENTS, {
      params: { path: { organizationId }, query: { limit: PAYMENT_PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
    }),
  );
}
