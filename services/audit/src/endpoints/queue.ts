import { newId, WEBHOOK_TEST_EVENT } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditRecordRow } from '../records/entities.js';
import { presentRecord } from '../records/present.js';
import { type DeliveryRow, deliveryOf, type WebhookPayload, webhookOf } from './entities.js';
import { subscribesTo } from './matching.js';

/** One message for one endpoint, before it is queued. */
export interface QueuedMessage {
  webhookId: string;
  /** The `webhook-id` header: the same for every endpoint, attempt and redelivery of one message. */
  messageId: string;
  eventType: string;
  recordId: string | null;
  payload: WebhookPayload;
}

/** The message id of an audit record's deliveries (`msg_<record id>`), so a receiver can drop duplicates. */
export const recordMessageId = (recordId: string) => `msg_${recordId}`;

/** `position` is a bigserial: pg answers it as a string, and it may pass 2^53. */
const byPosition = (a: Record<string, unknown>, b: Record<string, unknown>) => {
  const difference = BigInt(a.position as string) - BigInt(b.position as string);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
};

/**
 * Queues messages as pending deliveries, due now, in the caller's transaction: the one place deliveries are
 * made (records, test messages, redeliveries). Each endpoint's queue is ordered by `position`, assigned here in
 * the order given; `now()` is the transaction's, so a worker polling after the commit always finds them due.
 * Answers the deliveries in queue order.
 */
export async function queueMessages(em: EntityManager, messages: readonly QueuedMessage[]): Promise<DeliveryRow[]> {
  if (messages.length === 0) return [];
  const values = messages.map(() => "(?, ?, ?, ?, ?, ?::jsonb, 'pending', 0, now(), '[]'::jsonb, now())").join(', ');
  const params = messages.flatMap((message) => [
    newId(),
    message.webhookId,
    message.messageId,
    message.eventType,
    message.recordId,
    JSON.stringify(message.payload),
  ]);
  const rows: Array<Record<string, unknown>> = await em.execute(
    `insert into webhook_deliveries (id, webhook_id, message_id, event_type, record_id, payload, status, attempts,
       next_attempt_at, attempt_log, created_at)
     values ${values} returning *`,
    params,
  );
  return [...rows].sort(byPosition).map(deliveryOf);
}

/**
 * Queues an organization record for every enabled endpoint of the organization subscribed to its action, in the
 * caller's transaction; answers how many deliveries it queued.
 */
export async function queueRecordDeliveries(em: EntityManager, record: AuditRecordRow): Promise<number> {
  if (!record.organizationId) return 0;
  const raw: Array<Record<string, unknown>> = await em.execute(
    'select * from webhooks where organization_id = ? and enabled order by id',
    [record.organizationId],
  );
  const subscribed = raw.map(webhookOf).filter((webhook) => subscribesTo(webhook.events, record.action));
  const payload: WebhookPayload = {
    type: record.action,
    timestamp: record.occurredAt.toISOString(),
    data: presentRecord(record),
  };
  const queued = await queueMessages(
    em,
    subscribed.map((webhook) => ({
      webhookId: webhook.id,
      messageId: recordMessageId(record.id),
      eventType: record.action,
      recordId: record.id,
      payload,
    })),
  );
  return queued.length;
}

/** Queues a `webhook.test` message to this endpoint only, whatever it subscribed to. */
export async function queueTestMessage(
  em: EntityManager,
  webhook: { id: string; organizationId: string },
): Promise<DeliveryRow> {
  const [queued] = await queueMessages(em, [
    {
      webhookId: webhook.id,
      messageId: `msg_${newId()}`,
      eventType: WEBHOOK_TEST_EVENT,
      recordId: null,
      payload: {
        type: WEBHOOK_TEST_EVENT,
        timestamp: new Date().toISOString(),
        data: { webhookId: webhook.id, organizationId: webhook.organizationId },
      },
    },
  ]);
  return queued!;
}

/**
 * How many messages queued by hand (tests and redeliveries) are still pending for an endpoint, counted after
 * taking the endpoint's manual-queue lock for the rest of the transaction, so concurrent requests cannot both
 * pass a cap. A redelivered copy is a pending delivery whose message an earlier, finished delivery of the same
 * endpoint carried (a delivery is only redelivered once it is finished); a record's first delivery has none.
 */
export async function lockAndCountManualPending(em: EntityManager, webhookId: string): Promise<number> {
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`webhook-manual:${webhookId}`]);
  const [counted] = await em.execute<Array<{ total: number }>>(
    `select count(*)::int as total from webhook_deliveries
     where webhook_id = ? and status = 'pending'
       and (event_type = ? or message_id in (
         select message_id from webhook_deliveries where webhook_id = ? and status <> 'pending'))`,
    [webhookId, WEBHOOK_TEST_EVENT, webhookId],
  );
  return counted?.total ?? 0;
}
