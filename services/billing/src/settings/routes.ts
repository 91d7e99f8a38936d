import { BILLING_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { BillingContext } from '../context.js';
import { getBillingSettings, updateBillingSettings } from './service.js';

/** …/settings/billing: the profile Stripe's invoices print (members read it, owners change it). */
export function settingsRoutes(routes: RouteServer, ctx: BillingContext): void {
  routes.serve(BILLING_ROUTES.getBillingSettings, async (request, reply) => {
    const settings = await getBillingSettings(ctx, request.tenant);
    return ok(reply, 'Billing settings fetched successfully', settings);
  });

  routes.serve(BILLING_ROUTES.updateBillingSettings, async (request, reply) => {
    const settings = await updateBillingSettings(ctx, request.tenant, request.body);
    return ok(reply, 'Billing settings saved', settings);
  });
}
