import { Pump } from '@gatehouse/service-kit';
import type Stripe from 'stripe';
import type { BillingContext } from '../context.js';
import { isMissing } from '../stripe/errors.js';
import { loadedStripeErrors } from '../stripe/sdk.js';

/** Cancellations claimed per pass at most; the rest wait for the next one. */
const BATCH_SIZE = 100;
/** The longest wait between two attempts at one subscription. */
const MAX_DELAY_MS = 60 * 60 * 1000;

interface PendingCancellation {
  subscription_id: string;
  organization_id: string;
  attempts: number;
}

/** Stripe has nothing left to cancel: the subscription is gone, or ended already. */
function alreadyGone(failure: unknown): boolean {
  const errors = loadedStripeErrors();
  return (
    isMissing(failure) ||
    (errors !== undefined &&
      failure instanceof errors.StripeInvalidRequestError &&
      /already (been )?cancel/i.test(failure.message))
  );
}

/**
 * Cancels at Stripe the paid subscriptions of deleted organizations (table pending_cancellations), so nobody
 * keeps paying for an organization that is gone. A row is claimed by pushing its next attempt out first (so a
 * replica, or a crash mid-call, retries it only later), then deleted once Stripe says it is canceled or gone.
 * Not started in local mode: without Stripe there is nothing to cancel.
 */
export class CancellationPump {
  private readonly pump: Pump;

  constructor(private readonly ctx: BillingContext) {
    this.pump = new Pump({
      name: 'billing-cancellations',
      pass: async () => {
        await this.cancelDue(() => this.pump.isStopped);
      },
      logger: ctx.deps.logger,
      intervalMs: ctx.config.BILLING_SWEEP_INTERVAL_MS,
    });
  }

  start(): void {
    this.pump.start();
  }

  kick(): void {
    this.pump.kick();
  }

  async stop(): Promise<void> {
    await this.pump.stop();
  }

  /** One pass: every cancellation due now is tried once. Answers how many Stripe confirmed. */
  async cancelDue(stopped: () => boolean = () => false): Promise<number> {
    const stripe = this.ctx.stripe;
    if (!stripe) return 0;
    let canceled = 0;
    for (let tried = 0; tried < BATCH_SIZE && !stopped(); tried += 1) {
      const pending = await this.claimNext();
      if (!pending) break;
      if (await this.cancel(stripe, pending)) canceled += 1;
    }
    return canceled;
  }

  /** The oldest due row, its attempt counted and its next one pushed out by a growing delay. */
  private async claimNext(): Promise<PendingCancellation | null> {
    const rows = await this.ctx.deps.orm.em.fork().execute<PendingCancellation[]>(
      `update pending_cancellations
          set attempts = attempts + 1,
              next_attempt_at = now() + make_interval(
                secs => least(?, greatest(?, ? * power(2, least(attempts, 30)))) / 1000.0)
        where subscription_id = (
          select subscription_id from pending_cancellations where next_attempt_at <= now()
           order by next_attempt_at limit 1 for update skip locked)
        returning subscription_id, organization_id, attempts`,
      [MAX_DELAY_MS, this.callBudgetMs(), this.ctx.config.BILLING_SWEEP_INTERVAL_MS],
    );
    return rows[0] ?? null;
  }

  /** How long one cancel call may take, retries included: a claim outlives it. */
  private callBudgetMs(): number {
    const { STRIPE_TIMEOUT_MS, STRIPE_MAX_NETWORK_RETRIES } = this.ctx.config;
    return STRIPE_TIMEOUT_MS * (STRIPE_MAX_NETWORK_RETRIES + 1);
  }

  private async cancel(stripe: Stripe, pending: PendingCancellation): Promise<boolean> {
    const { subscription_id: id } = pending;
    try {
      // One key per attempt: Stripe replays a saved answer (a 500 too) for a reused key, and cancelling twice is harmless.
      await stripe.subscriptions.cancel(id, {}, { idempotencyKey: `cancel:${id}:${pending.attempts}` });
    } catch (failure) {
      if (!alreadyGone(failure)) {
        this.logFailure(pending, failure);
        return false;
      }
    }
    await this.ctx.deps.orm.em.fork().execute('delete from pending_cancellations where subscription_id = ?', [id]);
    return true;
  }

  private logFailure(pending: PendingCancellation, failure: unknown): void {
    const errors = loadedStripeErrors();
    const stripeError = errors && failure instanceof errors.StripeError ? failure : null;
    this.ctx.deps.logger.warn(
      {
        subscriptionId: pending.subscription_id,
        organizationId: pending.organization_id,
        attempts: pending.attempts,
        stripeType: stripeError?.type,
        stripeCode: stripeError?.code,
        statusCode: stripeError?.statusCode,
      },
      'subscription cancellation failed, will retry',
    );
  }
}
