import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { Pump, recordActivity } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type BillingContext, commit } from '../context.js';

/** Accounts marked per transaction. */
const BATCH_SIZE = 100;

interface GraceEnded {
  organization_id: string;
  subscription_id: string | null;
  tier_id: string;
}

/**
 * Records `subscription.read_only` once when an organization's grace period ends (read_only_after passed).
 * The read-only state itself needs nothing here: every service enforces it from readOnlyAfter in the
 * entitlements already published. Replicas sweep side by side: each locks the rows it marks, skipping others'.
 */
export class GraceSweep {
  private readonly pump: Pump;

  constructor(private readonly ctx: BillingContext) {
    this.pump = new Pump({
      name: 'billing-grace',
      pass: async () => {
        await this.sweep(() => this.pump.isStopped);
      },
      logger: ctx.deps.logger,
      intervalMs: ctx.config.BILLING_SWEEP_INTERVAL_MS,
    });
  }

  start(): void {
    this.pump.start();
  }

  async stop(): Promise<void> {
    await this.pump.stop();
  }

  /** One pass; answers how many organizations became read-only. */
  async sweep(stopped: () => boolean = () => false): Promise<number> {
    let recorded = 0;
    while (!stopped()) {
      const count = await commit(this.ctx, (em) => this.recordBatch(em));
      recorded += count;
      if (count < BATCH_SIZE) break;
    }
    return recorded;
  }

  private async recordBatch(em: EntityManager): Promise<number> {
    // Rows another replica is marking are skipped (it records them); ours stay locked until the commit.
    const ended = await em.execute<GraceEnded[]>(
      `update billing_accounts set read_only_recorded = true, updated_at = now()
        where organization_id in (
          select organization_id from billing_accounts
           where read_only_after <= now() and not read_only_recorded
           order by read_only_after limit ? for update skip locked)
        returning organization_id, subscription_id, tier_id`,
      [BATCH_SIZE],
    );
    for (const account of ended) {
      recordActivity(em, EVENT_SUBJECTS.billingActivity, {
        action: 'subscription.read_only',
        organizationId: account.organization_id,
        userId: null,
        actor: { type: 'system', id: 'billing' },
        target: {
          type: 'subscription',
          id: account.subscription_id ?? account.organization_id,
          name: this.ctx.plans.tier(account.tier_id)?.name ?? account.tier_id,
        },
      });
    }
    return ended.length;
  }
}
