import type { Webhook, WebhookDelivery } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import type { DeliveryAttempt, DeliverySummary, WebhookRow } from '../endpoints/entities.js';

/** An endpoint as the API shows it: never its secrets, sealed or not. */
export function presentWebhook(row: WebhookRow, now = new Date()): Static<typeof Webhook> {
  const overlapping = row.previousSecretExpiresAt && row.previousSecretExpiresAt > now;
  return {
    id: row.id,
    organizationId: row.organizationId,
    url: row.url,
    events: row.events,
    description: row.description,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    secretStart: row.secretStart,
    previousSecretExpiresAt: overlapping ? row.previousSecretExpiresAt!.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Newest first by when they were made, whatever order the log was written in. */
function newestFirst(log: readonly DeliveryAttempt[]): DeliveryAttempt[] {
  return [...log].sort((a, b) => Date.parse(b.attemptedAt) - Date.parse(a.attemptedAt));
}

export function presentDelivery(row: DeliverySummary): Static<typeof WebhookDelivery> {
  return {
    id: row.id,
    webhookId: row.webhookId,
    messageId: row.messageId,
    eventType: row.eventType,
    recordId: row.recordId,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    attemptLog: newestFirst(row.attemptLog).map((attempt) => ({
      attemptedAt: attempt.attemptedAt,
      statusCode: attempt.statusCode,
      latencyMs: attempt.latencyMs,
      responseExcerpt: attempt.responseExcerpt,
      error: attempt.error,
    })),
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}
