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
/** An endpoint keeps its slot for its next message only when it answered faster than this. */
export const FAST_ANSWER_MS = 1000;

/**
 * Sends queued webhook deliveries: each endpoint's messages one at a time in position order, up to
 * WEBHOOK_CONCURRENCY endpoints at once and WEBHOOK_ORGANIZATION_CONCURRENCY of one organization, free slots
 * going round-robin across organizations. Claims are short transactions; the HTTP call runs outside any; its
 * result is recorded in another (which, after a fast success, also claims the endpoint's next message).
 * Replicas share the work through the claims' leases.
 */
export class DeliveryWorker {
  private readonly pump: Pump;
  private readonly schedule: number[];
  private readonly sender: SenderOptions;
  /** How long a claim keeps other replicas off: the longest attempt, and a margin to record it. */
  private readonly leaseMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Endpoints in flight by organization id (what the per-organization cap and the round-robin count). */
  private readonly inFlightByOrganization = new Map<string, number>();
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
    const { config } = this.ctx;
    const free = config.WEBHOOK_CONCURRENCY - this.inFlight.size;
    if (free <= 0) return;
    const claimed = await this.ctx.deps.orm.em.fork().transactional((em) =>
      claimDueHeads(em, {
        limit: free,
        leaseMs: this.leaseMs,
        perOrganization: config.WEBHOOK_ORGANIZATION_CONCURRENCY,
        inFlight: this.inFlightByOrganization,
      }),
    );
    for (const claim of claimed) this.track(claim.webhook.organizationId, this.deliver(claim));
  }

  private track(organizationId: string, task: Promise<void>): void {
    this.inFlight.add(task);
    this.countInFlight(organizationId, 1);
    void task.finally(() => {
      this.inFlight.delete(task);
      this.countInFlight(organizationId, -1);
      // A slot is free and, after a success, the endpoint's next message is due.
      this.kick();
    });
  }

  private countInFlight(organizationId: string, change: 1 | -1): void {
    const count = (this.inFlightByOrganization.get(organizationId) ?? 0) + change;
    if (count > 0) this.inFlightByOrganization.set(organizationId, count);
    else this.inFlightByOrganization.delete(organizationId);
  }

  /**
   * Sends an endpoint's messages one after another while it answers fast, up to MESSAGES_PER_TURN, then gives
   * its slot back so endpoints with long queues do not starve the others. A slow endpoint gives it back after
   * every message: its next one waits for the round-robin like everyone else's.
   */
  private async deliver(first: ClaimedDelivery): Promise<void> {
    let claim: ClaimedDelivery | null = first;
    for (let turn = 1; claim; turn += 1) {
      claim = await this.attempt(claim, turn < MESSAGES_PER_TURN);
    }
  }

  /**
   * One attempt, recorded; answers the endpoint's next message when its turn may go on (`mayContinue`, a fast
   * answer, the worker not stopping) and it was claimed with the result.
   */
  private async attempt(claim: ClaimedDelivery, mayContinue: boolean): Promise<ClaimedDelivery | null> {
    const { delivery, webhook } = claim;
    const { logger } = this.ctx.deps;
    try {
      const attemptedAt = new Date().toISOString();
      const sent = await this.send(claim);
      const { ok, ...result } = sent;
      const attempt: DeliveryAttempt = { attemptedAt, ...result };
      const claimNext = mayContinue && sent.latencyMs < FAST_ANSWER_MS && !this.pump.isStopped;
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
