import { BILLING_INTERVALS, BILLING_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { BillingContext } from '../context.js';

/** The plans file as the console's billing page (or a pricing page) shows it: no price ids. */
export function planRoutes(routes: RouteServer, ctx: BillingContext): void {
  const tiers = ctx.plans.tiers.map((tier) => ({
    id: tier.id,
    name: tier.name,
    seatBased: tier.seatBased,
    intervals: tier.prices ? [...BILLING_INTERVALS] : [],
    entitlements: tier.entitlements,
  }));
  routes.serve(BILLING_ROUTES.listPlans, async (_request, reply) => ok(reply, 'Plans fetched', { tiers }));
}
