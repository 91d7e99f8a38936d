/** One row of `webhooks` (an organization's endpoint). */
export interface WebhookRow {
  id: string;
  organizationId: string;
  url: string;
  events: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  secretSealed: string;
  secretStart: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeliveryAttempt {
  attemptedAt: string;
  statusCode: number | null;
  latencyMs: number;
  responseExcerpt: string | null;
  error: string | null;
}

/** What a delivery's body is: the Standard Webhooks payload shape. */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: unknown;
}

/** One row of `webhook_deliveries`: one message to one endpoint. */
export interface DeliveryRow {
  id: string;
  webhookId: string;
  messageId: string;
  eventType: string;
  recordId: string | null;
  payload: WebhookPayload;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  nextAttemptAt: Date | null;
  attemptLog: DeliveryAttempt[];
  createdAt: Date;
  completedAt: Date | null;
}

const date = (value: unknown): Date => (value instanceof Date ? value : new Date(value as string));
const maybeDate = (value: unknown): Date | null => (value === null || value === undefined ? null : date(value));

/** A raw `webhooks` row (snake_case) as a WebhookRow. */
export function webhookOf(raw: Record<string, unknown>): WebhookRow {
  return {
    id: raw.id as string,
    organizationId: raw.organization_id as string,
    url: raw.url as string,
    events: raw.events as string[],
    description: (raw.description as string | null) ?? null,
    enabled: raw.enabled as boolean,
    disabledReason: (raw.disabled_reason as string | null) ?? null,
    secretSealed: raw.secret_sealed as string,
    secretStart: raw.secret_start as string,
    previousSecretSealed: (raw.previous_secret_sealed as string | null) ?? null,
    previousSecretExpiresAt: maybeDate(raw.previous_secret_expires_at),
    createdAt: date(raw.created_at),
    updatedAt: date(raw.updated_at),
  };
}

/** A delivery as its log shows it: everything but the payload it carries. */
export type DeliverySummary = Omit<DeliveryRow, 'payload'>;

/** A raw `webhook_deliveries` row (snake_case), selected without its payload, as a DeliverySummary. */
export function deliverySummaryOf(raw: Record<string, unknown>): DeliverySummary {
  return {
    id: raw.id as string,
    webhookId: raw.webhook_id as string,
    messageId: raw.message_id as string,
    eventType: raw.event_type as string,
    recordId: (raw.record_id as string | null) ?? null,
    status: raw.status as DeliveryRow['status'],
    attempts: Number(raw.attempts),
    nextAttemptAt: maybeDate(raw.next_attempt_at),
    attemptLog: (raw.attempt_log as DeliveryAttempt[]) ?? [],
    createdAt: date(raw.created_at),
    completedAt: maybeDate(raw.completed_at),
  };
}

/** A raw `webhook_deliveries` row (snake_case) as a DeliveryRow. */
export function deliveryOf(raw: Record<string, unknown>): DeliveryRow {
  return { ...deliverySummaryOf(raw), payload: raw.payload as WebhookPayload };
}
