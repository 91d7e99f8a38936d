import { ROUTES } from '@gatehouse/contracts';
import { createServiceApp, type HttpApp, routeServer, type ServiceDeps } from '@gatehouse/service-kit';
import { CancellationPump } from './cancellations/pump.js';
import { checkoutRoutes } from './checkout/routes.js';
import type { BillingConfig } from './config.js';
import type { BillingContext } from './context.js';
import { serveEntitlements } from './entitlements/rpc.js';
import { billingMemberships, tenantAccess } from './memberships/service.js';
import { organizationsConsumer } from './organizations/consumer.js';
import { paymentRoutes } from './payments/routes.js';
import { loadPlans } from './plans/plans.js';
import { planRoutes } from './plans/routes.js';
import { portalRoutes } from './portal/routes.js';
import { GraceSweep } from './reconcile/grace.js';
import { settingsRoutes } from './settings/routes.js';
import { createStripeClient, webhookSecretsOf } from './stripe/client.js';
import { subscriptionRoutes } from './subscription/routes.js';
import { stripeWebhookRoutes } from './webhooks/routes.js';

export async function buildApp(deps: ServiceDeps<BillingConfig>): Promise<HttpApp> {
  const { config } = deps;
  const ctx: BillingContext = {
    deps,
    config,
    plans: loadPlans(config.BILLING_PLANS_FILE),
    stripe: await createStripeClient(config),
    webhookSecrets: webhookSecretsOf(config),
    memberships: billingMemberships(deps),
  };
  if (!ctx.stripe) {
    deps.logger.info('billing runs in local mode (no STRIPE_SECRET_KEY): every organization is on Free');
  }
  const app = createServiceApp(deps);
  const routes = routeServer(app, {
    contracts: ROUTES.filter((route) => route.upstream === 'billing'),
    tenantAccess: tenantAccess(deps, ctx.memberships),
  });
  planRoutes(routes, ctx);
  subscriptionRoutes(routes, ctx);
  checkoutRoutes(routes, ctx);
  portalRoutes(routes, ctx);
  paymentRoutes(routes, ctx);
  settingsRoutes(routes, ctx);
  // The webhook needs the raw body: its route lives in a scope of its own with its own body parser.
  stripeWebhookRoutes(routes, ctx, app);

  // Without Stripe there is nothing to cancel: no pump at all.
  const cancellations = ctx.stripe ? new CancellationPump(ctx) : null;
  const grace = new GraceSweep(ctx);
  const consumers = [ctx.memberships.consumer(), organizationsConsumer(ctx, () => cancellations?.kick())];
  for (const consumer of consumers) await consumer.start();
  const entitlements = serveEntitlements(ctx);
  grace.start();
  cancellations?.start();
  app.addHook('onClose', async () => {
    entitlements.unsubscribe();
    for (const consumer of consumers) await consumer.stop();
    await grace.stop();
    await cancellations?.stop();
  });
  return app;
}
