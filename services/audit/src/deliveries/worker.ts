import { counter, Pump } from '@gatehouse/service-kit';
import type { AuditContext } from '../context.js';
import type { DeliveryAttempt } from '../endpoints/entities.js';
import { signingSecretsOf } from '../endpoints/secrets.js';
import { type ClaimedDelivery, claimDueHeads } from './claims.js';
import { type RecordedOutcome, recordAttempt } from './record.js';
import { parseRetrySchedule } from './schedule.js';
import { type SenderOptions, type SendOutcome, sendWebhook } from './sender.js';
import { webhookHeaders } from './signature.js';

/** A claim outlives the longest attempt by this much, so a slow send is recorded before the lease runs out. */
export const LEASE_MARGIN_MS = 5000;
const INTERVAL_MS = 1000;
/** Messages sent to one endpoint in a row before its slot is offered to others. */
export const MESSAGES_PER_TURN = 20;

/**
 * Sends queued webhook deliveries: each endpoint's messages one at a time in id order, up to
 * WEBHOOK_CONCURRENCY endpoints at once. Claims are short transactions; the HTTP call runs outside any; its
 * result is recorded in another (which, after a success, also claims the endpoint's next message). Replicas
 * share the work through the claims' leases.
 */
export class DeliveryWorker {
  private readonly pump: Pump;
  private readonly schedule: number[];
  private readonly sender: SenderOptions;
  /** How long a claim keeps other replicas off: the longest attempt, and a margin to record it. */
  private readonly leaseMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly outcomes: ReturnType<typeof counter<'outcome'>>;

  constructor(
    private readonly ctx: AuditContext,
    overrides: Partial<SenderOptions> = {},
  ) {
    const { config } = ctx;
    this.schedule = parseRetrySchedule(config.WEBHOOK_RETRY_SCHEDULE);
    this.sender = {
      allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_URLS,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      maxResponseBytes: config.WEBHOOK_MAX_RESPONSE_BYTES,
      ...overrides,
    };
    this.leaseMs = this.sender.timeoutMs + LEASE_MARGIN_MS;
    this.outcomes = counter(ctx.deps.metrics, 'webhook_deliveries_total', 'Webhook delivery attempts by outcome', [
      'outcome',
    ] as const);
    this.pump = new Pump({
      name: 'webhook-deliveries',
      pass: () => this.claimAndSend(),
      logger: ctx.deps.logger,
      intervalMs: INTERVAL_MS,
    });
  }

  start(): void {
    this.pump.start();
  }

  /** A delivery was queued or an attempt finished: look for due heads of line now. */
  kick(): void {
    this.pump.kick();
  }

  /** Stops claiming and waits for the attempts in flight to be recorded. */
  async stop(): Promise<void> {
    await this.pump.stop();
    await Promise.all(this.inFlight);
  }

  /** One pass: claims as many due heads as there are free slots and starts sending them (not awaited). */
  private async claimAndSend(): Promise<void> {
    const free = this.ctx.config.WEBHOOK_CONCURRENCY - this.inFlight.size;
    if (free <= 0) return;
    const claimed = await this.ctx.deps.orm.em.fork().transactional((em) => claimDueHeads(em, free, this.leaseMs));
    for (const claim of claimed) this.track(this.deliver(claim));
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => {
      this.inFlight.delete(task);
      // A slot is free and, after a success, the endpoint's next message is due.
      this.kick();
    });
  }

  /**
   * Sends an endpoint's messages one after another while it answers, up to MESSAGES_PER_TURN, then gives its
   * slot back so endpoints with long queues do not starve the others.
   */
  private async deliver(first: ClaimedDelivery): Promise<void> {
    let claim: ClaimedDelivery | null = first;
    for (let turn = 1; claim; turn += 1) {
      claim = await this.attempt(claim, turn < MESSAGES_PER_TURN && !this.pump.isStopped);
    }
  }

  /** One attempt, recorded; answers the endpoint's next message when it was claimed with the result. */
  private async attempt(claim: ClaimedDelivery, claimNext: boolean): Promise<ClaimedDelivery | null> {
    const { delivery, webhook } = claim;
    const { logger } = this.ctx.deps;
    try {
      const attemptedAt = new Date().toISOString();
      const sent = await this.send(claim);
      const { ok, ...result } = sent;
      const attempt: DeliveryAttempt = { attemptedAt, ...result };
      const recorded = await recordAttempt(
        this.ctx,
        this.schedule,
        claim,
        { attempt, ok },
        claimNext ? { leaseMs: this.leaseMs } : undefined,
      );
      this.count(recorded.outcome);
      // A retry sooner than the next pass (short schedules) is not left waiting for it.
      if (recorded.outcome === 'retrying' && recorded.retryInMs < INTERVAL_MS) {
        setTimeout(() => this.kick(), recorded.retryInMs).unref();
      }
      if (recorded.outcome === 'failed') {
        logger.warn(
          { webhookId: webhook.id, deliveryId: delivery.id },
          'webhook endpoint disabled: deliveries failing',
        );
      }
      return recorded.outcome === 'succeeded' ? recorded.next : null;
    } catch (error) {
      // Database down while recording: the lease runs out and the message is attempted again.
      logger.warn({ err: error, webhookId: webhook.id, deliveryId: delivery.id }, 'webhook attempt not recorded');
      this.count('unrecorded');
      return null;
    }
  }

  /** Signs the exact body it sends; a secret that no longer opens is a failed attempt, not a crash. */
  private async send({ delivery, webhook }: ClaimedDelivery): Promise<SendOutcome> {
    const body = JSON.stringify(delivery.payload);
    let secrets: string[];
    try {
      secrets = signingSecretsOf(this.ctx.secrets, webhook);
    } catch {
      return { ok: false, statusCode: null, latencyMs: 0, responseExcerpt: null, error: 'signing secret unavailable' };
    }
    const headers = webhookHeaders(delivery.messageId, secrets, body);
    return sendWebhook({ url: webhook.url, body, headers }, this.sender);
  }

  private count(outcome: RecordedOutcome['outcome'] | 'unrecorded'): void {
    this.outcomes.inc({ outcome });
  }
}
