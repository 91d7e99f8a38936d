import { AppError, conflict } from '@gatehouse/contracts';
import { findRowsPage, type TenantAccess } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type AuditContext, commit, readEm } from '../context.js';
import { type DeliveryRow, deliverySummaryOf, type WebhookRow } from '../endpoints/entities.js';
import { lockAndCountManualPending, queueMessages, queueTestMessage } from '../endpoints/queue.js';
import { presentDelivery } from './present.js';
import { findDelivery, findWebhook } from './store.js';

/**
 * Test messages and redeliveries pending at once per endpoint: plenty to debug a receiver, few enough that no
 * tenant floods the shared delivery worker by hand.
 */
export const MAX_MANUAL_PENDING_PER_WEBHOOK = 10;

/** What the delivery log shows of a delivery: every column but the payload. */
const LOG_COLUMNS =
  'id, webhook_id, message_id, event_type, record_id, status, attempts, next_attempt_at, attempt_log, created_at, completed_at';

function refuseDisabled(webhook: WebhookRow): void {
  if (!webhook.enabled) {
    throw conflict('WEBHOOK_DISABLED', 'The webhook endpoint is disabled: enable it first');
  }
}

async function refuseFlooding(em: EntityManager, webhook: WebhookRow): Promise<void> {
  if ((await lockAndCountManualPending(em, webhook.id)) < MAX_MANUAL_PENDING_PER_WEBHOOK) return;
  throw new AppError(
    'CONFLICT',
    `At most ${MAX_MANUAL_PENDING_PER_WEBHOOK} test messages and redeliveries may be pending per endpoint: wait for them to be delivered`,
    { reason: 'TOO_MANY_PENDING', limit: MAX_MANUAL_PENDING_PER_WEBHOOK },
  );
}

/**
 * The endpoint, share-locked for the rest of the transaction (it cannot be disabled or deleted while a message
 * joins its queue), if a message may be queued to it by hand now. The queue leaves once commit() kicks it.
 */
async function manualQueueOf(em: EntityManager, tenant: TenantAccess, webhookId: string): Promise<WebhookRow> {
  const webhook = await findWebhook(em, tenant.organizationId, webhookId, { lock: 'share' });
  refuseDisabled(webhook);
  await refuseFlooding(em, webhook);
  return webhook;
}

/** Queues a `webhook.test` message to this endpoint only, at the end of its queue. */
export async function testWebhook(ctx: AuditContext, tenant: TenantAccess, webhookId: string) {
  const queued = await commit(ctx, async (em) => queueTestMessage(em, await manualQueueOf(em, tenant, webhookId)));
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
  // Newest first by id (when made) is what a person reading the log expects; the queue's order is `position`.
  const page = await findRowsPage<Record<string, unknown> & { id: string }>(
    em,
    {
      select: LOG_COLUMNS,
      from: 'webhook_deliveries',
      where: query.status ? 'webhook_id = ? and status = ?' : 'webhook_id = ?',
      params: query.status ? [webhookId, query.status] : [webhookId],
      id: 'id',
      sortable: { id: { column: 'id', kind: 'string' } },
      defaultSort: '-id',
    },
    { offset: 0, limit: query.limit, ...(query.cursor && { cursor: query.cursor }) },
  );
  return { items: page.items.map((raw) => presentDelivery(deliverySummaryOf(raw))), meta: page.meta };
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
    await refuseFlooding(em, webhook);
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
  return presentDelivery(queued);
}
