import { queueMail } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type AuditContext, commit } from '../context.js';
import type { DeliveryAttempt, WebhookRow } from '../endpoints/entities.js';
import { recordedUrl } from '../endpoints/redact.js';
import { journal } from '../journal/journal.js';
import { type ClaimedDelivery, claimNextOf } from './claims.js';
import { endpointDisabledMail, ownersOf } from './owners.js';
import { retryDelayMs } from './schedule.js';

/** The delivery log keeps this many attempts per message, newest first. */
export const ATTEMPT_LOG_SIZE = 20;

export const DISABLED_REASON = 'deliveries_failing';

export type RecordedOutcome =
  | { outcome: 'failed' | 'superseded' }
  | { outcome: 'succeeded'; next: ClaimedDelivery | null }
  | { outcome: 'retrying'; retryInMs: number };

export interface AttemptResult {
  attempt: DeliveryAttempt;
  ok: boolean;
}

/** After a success, the endpoint's next message (by position) is claimed in the same transaction when asked. */
export interface NextClaim {
  leaseMs: number;
}

/**
 * Records one attempt in its own transaction: success, a retry at the next step of the schedule, or — the
 * schedule spent — the message failed, its endpoint disabled, the owners mailed and the change journaled.
 * An attempt whose claim another replica took over meanwhile (the lease ran out) changes nothing.
 */
export async function recordAttempt(
  ctx: AuditContext,
  schedule: readonly number[],
  claimed: ClaimedDelivery,
  { attempt, ok }: AttemptResult,
  claimNext?: NextClaim,
): Promise<RecordedOutcome> {
  return commit(ctx, async (em) => {
    const [current] = await em.execute<Array<{ attempts: number; attempt_log: DeliveryAttempt[] }>>(
      `select attempts, attempt_log from webhook_deliveries
        where id = ? and status = 'pending' and attempts = ? for update`,
      [claimed.delivery.id, claimed.delivery.attempts],
    );
    if (!current) return { outcome: 'superseded' };
    const attempts = current.attempts + 1;
    const log = JSON.stringify([attempt, ...current.attempt_log].slice(0, ATTEMPT_LOG_SIZE));
    if (ok) {
      await complete(em, claimed.delivery.id, 'succeeded', attempts, log);
      const [next] = claimNext ? await claimNextOf(em, claimed.webhook.id, claimNext.leaseMs) : [];
      return { outcome: 'succeeded', next: next ?? null };
    }
    const delay = retryDelayMs(schedule, attempts);
    if (delay !== null) {
      await em.execute(
        `update webhook_deliveries set attempts = ?, attempt_log = ?::jsonb,
           next_attempt_at = now() + make_interval(secs => ?) where id = ?`,
        [attempts, log, delay / 1000, claimed.delivery.id],
      );
      return { outcome: 'retrying', retryInMs: delay };
    }
    await complete(em, claimed.delivery.id, 'failed', attempts, log);
    await disableEndpoint(ctx, em, claimed.webhook);
    return { outcome: 'failed' };
  });
}

/** A message is done: delivered, or failed for good. */
async function complete(
  em: EntityManager,
  deliveryId: string,
  status: 'succeeded' | 'failed',
  attempts: number,
  log: string,
): Promise<void> {
  await em.execute(
    `update webhook_deliveries set status = ?, attempts = ?, attempt_log = ?::jsonb, next_attempt_at = null,
       completed_at = now() where id = ?`,
    [status, attempts, log, deliveryId],
  );
}

/** Turns a failing endpoint off (once), mails the organization's owners and journals `webhook.disabled`. */
async function disableEndpoint(ctx: AuditContext, em: EntityManager, webhook: WebhookRow): Promise<void> {
  const disabled = await em.execute<Array<{ id: string }>>(
    `update webhooks set enabled = false, disabled_reason = ?, updated_at = now()
      where id = ? and enabled returning id`,
    [DISABLED_REASON, webhook.id],
  );
  if (disabled.length === 0) return;
  for (const owner of await ownersOf(em, webhook.organizationId)) {
    queueMail(em, endpointDisabledMail(owner, webhook, ctx.config.PUBLIC_URL));
  }
  await journal(em, {
    log: { organizationId: webhook.organizationId },
    action: 'webhook.disabled',
    actor: { type: 'system', id: 'webhooks' },
    // As every record names an endpoint: credentials a receiver keeps in its URL stay out of the log.
    target: { type: 'webhook', id: webhook.id, name: recordedUrl(webhook.url) },
    changes: { enabled: { before: true, after: false } },
    reason: DISABLED_REASON,
  });
}
