import { conflict } from '@gatehouse/contracts';
import { findRowsPage, type TenantAccess } from '@gatehouse/service-kit';
import { type AuditContext, commit, readEm } from '../context.js';
import { type DeliveryRow, deliveryOf, type WebhookRow } from '../endpoints/entities.js';
import { queueMessages, queueTestMessage } from '../endpoints/queue.js';
import { presentDelivery } from './present.js';
import { findDelivery, findWebhook } from './store.js';

function refuseDisabled(webhook: WebhookRow): void {
  if (!webhook.enabled) {
    throw conflict('WEBHOOK_DISABLED', 'The webhook endpoint is disabled: enable it first');
  }
}

/** Queues a `webhook.test` message to this endpoint only, at the end of its queue. */
export async function testWebhook(ctx: AuditContext, tenant: TenantAccess, webhookId: string) {
  const queued = await commit(ctx, async (em) => {
    // Shared lock: the endpoint cannot be disabled or deleted while the message joins its queue.
    const webhook = await findWebhook(em, tenant.organizationId, webhookId, { lock: 'share' });
    refuseDisabled(webhook);
    return queueTestMessage(em, webhook);
  });
  ctx.kickDeliveries();
  return presentDelivery(queued);
}

export async function listWebhookDeliveries(
  ctx: AuditContext,
  tenant: TenantAccess,
  webhookId: string,
  query: { status?: DeliveryRow['status']; limit: number; cursor?: string },
) {
  const em = readEm(ctx);
  await findWebhook(em, tenant.organizationId, webhookId);
  const page = await findRowsPage<Record<string, unknown> & { id: string }>(
    em,
    {
      select: '*',
      from: 'webhook_deliveries',
      where: query.status ? 'webhook_id = ? and status = ?' : 'webhook_id = ?',
      params: query.status ? [webhookId, query.status] : [webhookId],
      id: 'id',
      sortable: { id: { column: 'id', kind: 'string' } },
      defaultSort: '-id',
    },
    { offset: 0, limit: query.limit, ...(query.cursor && { cursor: query.cursor }) },
  );
  return { items: page.items.map((raw) => presentDelivery(deliveryOf(raw))), meta: page.meta };
}

/**
 * Sends a delivered or failed message again as a new delivery at the end of the endpoint's queue, with the same
 * message id, so a receiver that already has it can tell.
 */
export async function redeliverWebhook(ctx: AuditContext, tenant: TenantAccess, webhookId: string, deliveryId: string) {
  const queued = await commit(ctx, async (em) => {
    const webhook = await findWebhook(em, tenant.organizationId, webhookId, { lock: 'share' });
    const original = await findDelivery(em, webhook.id, deliveryId);
    refuseDisabled(webhook);
    if (original.status === 'pending') {
      throw conflict('DELIVERY_PENDING', 'The delivery is still being attempted');
    }
    const [copy] = await queueMessages(em, [
      {
        webhookId: webhook.id,
        messageId: original.messageId,
        eventType: original.eventType,
        recordId: original.recordId,
        payload: original.payload,
      },
    ]);
    return copy!;
  });
  ctx.kickDeliveries();
  return presentDelivery(queued);
}
