import { AUDIT_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { AuditContext } from '../context.js';
import { listWebhookDeliveries, redeliverWebhook, testWebhook } from './deliveries.js';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  rotateWebhookSecret,
  updateWebhook,
} from './service.js';

/**
 * …/webhooks: an organization's endpoints, their signing secrets and delivery logs (owners: the contract's
 * `organization:manage-security`). A secret is answered at creation and rotation only.
 */
export function webhookRoutes(routes: RouteServer, ctx: AuditContext): void {
  routes.serve(AUDIT_ROUTES.listWebhooks, async (request, reply) => {
    const { items, meta } = await listWebhooks(ctx, request.tenant, request.query);
    return ok(reply, 'Webhooks fetched successfully', items, { meta });
  });

  routes.serve(AUDIT_ROUTES.createWebhook, async (request, reply) => {
    const created = await createWebhook(ctx, request.tenant, request.body);
    return ok(reply, 'Webhook created: copy its signing secret now, it is not shown again', created, {
      status: 201,
    });
  });

  routes.serve(AUDIT_ROUTES.getWebhook, async (request, reply) => {
    const webhook = await getWebhook(ctx, request.tenant, request.params.webhookId);
    return ok(reply, 'Webhook fetched successfully', webhook);
  });

  routes.serve(AUDIT_ROUTES.updateWebhook, async (request, reply) => {
    const webhook = await updateWebhook(ctx, request.tenant, request.params.webhookId, request.body);
    return ok(reply, 'Webhook updated', webhook);
  });

  routes.serve(AUDIT_ROUTES.deleteWebhook, async (request, reply) => {
    await deleteWebhook(ctx, request.tenant, request.params.webhookId);
    return ok(reply, 'Webhook deleted: its pending deliveries were dropped', null);
  });

  routes.serve(AUDIT_ROUTES.rotateWebhookSecret, async (request, reply) => {
    const rotated = await rotateWebhookSecret(ctx, request.tenant, request.params.webhookId);
    return ok(reply, 'Signing secret rotated: copy it now; the previous one still signs for 24 hours', rotated);
  });

  routes.serve(AUDIT_ROUTES.testWebhook, async (request, reply) => {
    const delivery = await testWebhook(ctx, request.tenant, request.params.webhookId);
    return ok(reply, 'Test message queued', delivery, { status: 202 });
  });

  routes.serve(AUDIT_ROUTES.listWebhookDeliveries, async (request, reply) => {
    const { items, meta } = await listWebhookDeliveries(ctx, request.tenant, request.params.webhookId, request.query);
    return ok(reply, 'Deliveries fetched successfully', items, { meta });
  });

  routes.serve(AUDIT_ROUTES.redeliverWebhook, async (request, reply) => {
    const { webhookId, deliveryId } = request.params;
    const delivery = await redeliverWebhook(ctx, request.tenant, webhookId, deliveryId);
    return ok(reply, 'Message queued again', delivery, { status: 202 });
  });
}
