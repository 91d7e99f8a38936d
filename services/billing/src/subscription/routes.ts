import { BILLING_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { BillingContext } from '../context.js';
import { subscriptionOf } from './present.js';

/** The organization's plan, subscription status and entitlements (any member may read them). */
export function subscriptionRoutes(routes: RouteServer, ctx: BillingContext): void {
  routes.serve(BILLING_ROUTES.getSubscription, async (request, reply) => {
    return ok(reply, 'Subscription fetched', await subscriptionOf(ctx, request.tenant.organizationId));
  });
}
