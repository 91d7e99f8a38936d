import { Pump } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditContext } from '../context.js';

const HOUR_MS = 60 * 60 * 1000;
/** Records deleted per transaction: short ones, since the chain's head row stays locked meanwhile. */
const DELETE_BATCH_SIZE = 1000;
/** Chains looked at per query while finding those with expired records. */
const CHAIN_PAGE_SIZE = 500;
/** The advisory lock (pg_try_advisory_xact_lock) a replica holds while it sweeps. */
export const RETENTION_LOCK = 'gatehouse.audit-retention';

/**
 * Deletes records past their log's retention (an organization's setting or AUDIT_RETENTION_DAYS; account logs
 * always the latter), hourly. Only a chain's prefix goes: from its anchor, oldest sequence first, up to the first
 * record not yet expired — so what remains is one unbroken chain, starting from the anchor, which moves in the
 * transaction of each delete to the last record deleted (its sequence and hash), and verify still holds.
 */
export class AuditRetention {
  private readonly pump: Pump;

  constructor(private readonly ctx: AuditContext) {
    this.pump = new Pump({
      name: 'audit-retention',
      pass: async () => {
        await this.sweep(() => this.pump.isStopped);
      },
      logger: ctx.deps.logger,
      intervalMs: HOUR_MS,
    });
  }

  start(): void {
    this.pump.start();
  }

  async stop(): Promise<void> {
    await this.pump.stop();
  }

  /**
   * One pass over every chain; answers how many records it deleted (none when another replica is sweeping).
   * `stopped` is asked between batches, so a shutdown waits for one batch at most, not for the whole pass.
   */
  async sweep(stopped: () => boolean = () => false): Promise<number> {
    // One replica sweeps at a time. The lock's own transaction spans the pass (it takes no snapshot, so it
    // holds nothing back from vacuum) while each batch commits in a short transaction of its own.
    const lock = this.ctx.deps.orm.em.fork();
    await lock.begin();
    try {
      const [row] = await lock.execute<Array<{ acquired: boolean }>>(
        'select pg_try_advisory_xact_lock(hashtext(?)) as acquired',
        [RETENTION_LOCK],
      );
      return row?.acquired ? await this.sweepChains(stopped) : 0;
    } finally {
      await lock.rollback();
    }
  }

  private async sweepChains(stopped: () => boolean): Promise<number> {
    let deleted = 0;
    let after = '';
    while (!stopped()) {
      const chains = await this.expiredChains(after);
      for (const chain of chains) {
        if (stopped()) break;
        deleted += await this.pruneChain(chain.chainKey, chain.retentionDays, stopped);
      }
      if (chains.length < CHAIN_PAGE_SIZE) break;
      after = chains.at(-1)!.chainKey;
    }
    return deleted;
  }

  /** Chains whose first record after the anchor is past their retention (the index on (chain_key, sequence)). */
  private async expiredChains(after: string): Promise<Array<{ chainKey: string; retentionDays: number }>> {
    const rows: Array<{ chain_key: string; retention_days: number }> = await this.ctx.deps.orm.em.fork().execute(
      `select c.chain_key, coalesce(s.retention_days, ?)::int as retention_days
        from audit_chains c
        left join audit_settings s on c.chain_key = 'org:' || s.organization_id
        where c.chain_key > ?
          and (select r.occurred_at from audit_records r
                where r.chain_key = c.chain_key and r.sequence > c.anchor_sequence
                order by r.sequence limit 1)
              < now() - make_interval(days => coalesce(s.retention_days, ?))
        order by c.chain_key limit ?`,
      [this.ctx.config.AUDIT_RETENTION_DAYS, after, this.ctx.config.AUDIT_RETENTION_DAYS, CHAIN_PAGE_SIZE],
    );
    return rows.map((row) => ({ chainKey: row.chain_key, retentionDays: row.retention_days }));
  }

  private async pruneChain(chainKey: string, retentionDays: number, stopped: () => boolean): Promise<number> {
    let deleted = 0;
    while (!stopped()) {
      const count = await this.ctx.deps.orm.em.fork().transactional((em) => pruneBatch(em, chainKey, retentionDays));
      deleted += count;
      if (count < DELETE_BATCH_SIZE) break;
    }
    return deleted;
  }
}

/**
 * Deletes up to one batch of the chain's expired prefix and moves the anchor to the last record deleted. The
 * head row is locked first, as appends lock it, so a concurrent sweep or append sees the anchor and rows agree.
 */
async function pruneBatch(em: EntityManager, chainKey: string, retentionDays: number): Promise<number> {
  const [chain] = await em.execute<Array<{ anchor_sequence: string }>>(
    'select anchor_sequence from audit_chains where chain_key = ? for update',
    [chainKey],
  );
  if (!chain) return 0;
  const rows: Array<{ sequence: string; hash: string; expired: boolean }> = await em.execute(
    `select sequence, hash, occurred_at < now() - make_interval(days => ?) as expired from audit_records
      where chain_key = ? and sequence > ? order by sequence asc limit ?`,
    [retentionDays, chainKey, chain.anchor_sequence, DELETE_BATCH_SIZE],
  );
  const firstKept = rows.findIndex((row) => !row.expired);
  const expired = firstKept === -1 ? rows : rows.slice(0, firstKept);
  const last = expired.at(-1);
  if (!last) return 0;
  await em.execute('delete from audit_records where chain_key = ? and sequence > ? and sequence <= ?', [
    chainKey,
    chain.anchor_sequence,
    last.sequence,
  ]);
  await em.execute('update audit_chains set anchor_sequence = ?, anchor_hash = ? where chain_key = ?', [
    last.sequence,
    last.hash.trim(),
    chainKey,
  ]);
  // Fewer than a batch means the prefix (or the chain) ended here: the caller stops.
  return expired.length;
}
