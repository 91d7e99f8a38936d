import { AUDIT_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { AuditContext } from '../context.js';
import { notBuilt } from '../not-built.js';

/** The webhook endpoint routes (WP3 builds them). */
export function webhookRoutes(routes: RouteServer, _ctx: AuditContext): void {
  routes.serve(AUDIT_ROUTES.listWebhooks, notBuilt);
  routes.serve(AUDIT_ROUTES.createWebhook, notBuilt);
  routes.serve(AUDIT_ROUTES.getWebhook, notBuilt);
  routes.serve(AUDIT_ROUTES.updateWebhook, notBuilt);
  routes.serve(AUDIT_ROUTES.deleteWebhook, notBuilt);
  routes.serve(AUDIT_ROUTES.rotateWebhookSecret, notBuilt);
  routes.serve(AUDIT_ROUTES.testWebhook, notBuilt);
  routes.serve(AUDIT_ROUTES.listWebhookDeliveries, notBuilt);
  routes.serve(AUDIT_ROUTES.redeliverWebhook, notBuilt);
}
