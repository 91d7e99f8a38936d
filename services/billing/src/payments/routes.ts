import { BILLING_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { BillingContext } from '../context.js';
import { listPayments } from './service.js';

/** …/payments: the organization's invoices, for every member who may read the organization. */
export function paymentRoutes(routes: RouteServer, ctx: BillingContext): void {
  routes.serve(BILLING_ROUTES.listPayments, async (request, reply) => {
    const { items, meta } = await listPayments(ctx, request.tenant, request.query);
    return ok(reply, 'Payments fetched successfully', items, { meta });
  });
}
