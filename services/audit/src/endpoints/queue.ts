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

/**
 * Queues messages as pending deliveries, due now, in the caller's transaction: the one place deliveries are
 * made (records, test messages, redeliveries). `now()` is the transaction's, so a worker polling after the
 * commit always finds them due.
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
  return rows.map(deliveryOf).sort((a, b) => (a.id < b.id ? -1 : 1));
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
