import type { EntityManager } from '@mikro-orm/postgresql';
import { type DeliveryRow, deliveryOf, type WebhookRow, webhookOf } from '../endpoints/entities.js';

/** A head of line this replica may send now, with its endpoint as it was when claimed. */
export interface ClaimedDelivery {
  delivery: DeliveryRow;
  webhook: WebhookRow;
}

/**
 * Claims up to `limit` due heads of line — per enabled endpoint, its lowest-id pending delivery, and only when
 * that one is due (later messages wait behind it) — by pushing their next attempt `leaseMs` ahead. The lease
 * keeps other replicas off while this one sends; if this one dies, it runs out and the message is sent again
 * (at least once). Rows another replica is claiming right now are skipped, not waited for. `onlyWebhookId`
 * claims that endpoint's next message only (the worker keeps sending to an endpoint that answers).
 */
export async function claimDueHeads(
  em: EntityManager,
  limit: number,
  leaseMs: number,
  onlyWebhookId?: string,
): Promise<ClaimedDelivery[]> {
  if (limit <= 0) return [];
  const only = onlyWebhookId ? 'and d.webhook_id = ?' : '';
  const rows = await em.execute<Array<Record<string, unknown>>>(
    `with due as (
       select d.id from webhook_deliveries d
       join webhooks w on w.id = d.webhook_id and w.enabled
       where d.status = 'pending' and (d.next_attempt_at is null or d.next_attempt_at <= now()) ${only}
         and not exists (
           select 1 from webhook_deliveries earlier
           where earlier.webhook_id = d.webhook_id and earlier.status = 'pending' and earlier.id < d.id)
       order by d.next_attempt_at nulls first, d.id
       limit ?
       for update of d skip locked)
     update webhook_deliveries d set next_attempt_at = now() + make_interval(secs => ?)
     from due where d.id = due.id
     returning d.*`,
    [...(onlyWebhookId ? [onlyWebhookId] : []), limit, leaseMs / 1000],
  );
  if (rows.length === 0) return [];
  const deliveries = rows.map(deliveryOf);
  const webhooks = await em.execute<Array<Record<string, unknown>>>('select * from webhooks where id in (?)', [
    deliveries.map((delivery) => delivery.webhookId),
  ]);
  const byId = new Map(webhooks.map((raw) => [raw.id as string, webhookOf(raw)]));
  return deliveries.flatMap((delivery) => {
    const webhook = byId.get(delivery.webhookId);
    return webhook ? [{ delivery, webhook }] : [];
  });
}
