import { notFound } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type DeliveryRow, deliveryOf, type WebhookRow, webhookOf } from '../endpoints/entities.js';

type Raw = Record<string, unknown>;

const LOCKS = { none: '', share: ' for share', update: ' for update' } as const;

/**
 * An organization's endpoint, locked for the rest of the transaction when asked; another organization's is
 * "not found", never "forbidden", so an id reveals nothing.
 */
export async function findWebhook(
  em: EntityManager,
  organizationId: string,
  webhookId: string,
  options: { lock?: keyof typeof LOCKS } = {},
): Promise<WebhookRow> {
  const [raw] = await em.execute<Raw[]>(
    `select * from webhooks where id = ? and organization_id = ?${LOCKS[options.lock ?? 'none']}`,
    [webhookId, organizationId],
  );
  if (!raw) throw notFound('Webhook not found');
  return webhookOf(raw);
}

export async function insertWebhook(em: EntityManager, row: WebhookRow): Promise<void> {
  await em.execute(
    `insert into webhooks (id, organization_id, url, events, description, enabled, disabled_reason, secret_sealed,
       secret_start, previous_secret_sealed, previous_secret_expires_at, created_at, updated_at)
     values (?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.id,
      row.organizationId,
      row.url,
      JSON.stringify(row.events),
      row.description,
      row.enabled,
      row.disabledReason,
      row.secretSealed,
      row.secretStart,
      row.previousSecretSealed,
      row.previousSecretExpiresAt,
      row.createdAt,
      row.updatedAt,
    ],
  );
}

/** Writes every field an endpoint's owner or a rotation can change. */
export async function saveWebhook(em: EntityManager, row: WebhookRow): Promise<void> {
  await em.execute(
    `update webhooks set url = ?, events = ?::jsonb, description = ?, enabled = ?, disabled_reason = ?,
       secret_sealed = ?, secret_start = ?, previous_secret_sealed = ?, previous_secret_expires_at = ?, updated_at = ?
     where id = ?`,
    [
      row.url,
      JSON.stringify(row.events),
      row.description,
      row.enabled,
      row.disabledReason,
      row.secretSealed,
      row.secretStart,
      row.previousSecretSealed,
      row.previousSecretExpiresAt,
      row.updatedAt,
      row.id,
    ],
  );
}

export async function deleteWebhookRow(em: EntityManager, webhookId: string): Promise<void> {
  // Its deliveries go with it (foreign key on delete cascade).
  await em.execute('delete from webhooks where id = ?', [webhookId]);
}

/**
 * Serializes endpoint creation within an organization for the rest of the transaction, so two concurrent
 * creations cannot both pass the per-organization limit.
 */
export async function lockOrganizationWebhooks(em: EntityManager, organizationId: string): Promise<number> {
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`webhooks:${organizationId}`]);
  const [counted] = await em.execute<Array<{ total: number }>>(
    'select count(*)::int as total from webhooks where organization_id = ?',
    [organizationId],
  );
  return counted?.total ?? 0;
}

export async function findDelivery(em: EntityManager, webhookId: string, deliveryId: string): Promise<DeliveryRow> {
  const [raw] = await em.execute<Raw[]>('select * from webhook_deliveries where id = ? and webhook_id = ?', [
    deliveryId,
    webhookId,
  ]);
  if (!raw) throw notFound('Delivery not found');
  return deliveryOf(raw);
}
