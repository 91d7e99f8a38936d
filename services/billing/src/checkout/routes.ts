import { BILLING_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { BillingContext } from '../context.js';
import { createCheckout } from './service.js';

/** …/payments/checkout: owners start a paid plan on Stripe's Checkout page. */
export function checkoutRoutes(routes: RouteServer, ctx: BillingContext): void {
  routes.serve(BILLING_ROUTES.createCheckout, async (request, reply) => {
    const session = await createCheckout(ctx, request.tenant, request.body);
    return ok(reply, 'Checkout started: send the browser to its url', session, { status: 201 });
  });
}
