import { BILLING_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { BillingContext } from '../context.js';
import { createPortal } from './service.js';

/** …/payments/portal: owners manage the subscription on Stripe's Customer Portal. */
export function portalRoutes(routes: RouteServer, ctx: BillingContext): void {
  routes.serve(BILLING_ROUTES.createPortal, async (request, reply) => {
    const portal = await createPortal(ctx, request.tenant, request.body);
    return ok(reply, 'Portal session created: send the browser to its url', portal, { status: 201 });
  });
}
