import type { AuditChainVerification } from '@gatehouse/contracts';
import { IsolationLevel } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from 'typebox';
import { type AuditRecordRow, RECORD_COLUMNS } from './entities.js';
import { recordHash } from './hash.js';
import { rowOf } from './rows.js';

export type ChainVerification = Static<typeof AuditChainVerification>;
type BreakReason = NonNullable<ChainVerification['firstBroken']>['reason'];

/** Rows read per query while walking a chain. */
const VERIFY_BATCH_SIZE = 1000;

interface ChainHead {
  lastSequence: number;
  lastHash: string;
  anchorSequence: number;
  anchorHash: string;
}

/**
 * Recomputes a log's hash chain from its anchor (the last record retention pruned, or the genesis) to its head
 * and reports the first record that does not hold. One repeatable-read snapshot, so records appended or pruned
 * meanwhile do not show up as breaks. Stops at the first break: `checked` counts the records read up to it.
 *
 * Records missing at the tail (the head says more were appended than remain) are a break too: reported at the
 * last record that remains, as `sequence_gap` (the gap follows it), or with `firstBroken` null when none remains.
 * A last record whose hash is not the one the head holds was rewritten with its hash: `hash_mismatch` there.
 * Records whose head row is missing are broken at the first of them (`link_mismatch`).
 */
export async function verifyChain(em: EntityManager, chainKey: string): Promise<ChainVerification> {
  return em.fork().transactional(async (tx) => walkChain(tx, chainKey), {
    isolationLevel: IsolationLevel.REPEATABLE_READ,
    readOnly: true,
  });
}

async function walkChain(em: EntityManager, chainKey: string): Promise<ChainVerification> {
  const head = await chainHead(em, chainKey);
  if (!head) return headlessChain(em, chainKey);
  const anchor = head.anchorSequence > 0 ? { sequence: head.anchorSequence, hash: head.anchorHash } : null;
  const result = (checked: number, broken: AuditRecordRow | null, reason?: BreakReason): ChainVerification => ({
    intact: false,
    checked,
    firstBroken: broken && reason ? { id: broken.id, sequence: broken.sequence, reason } : null,
    anchor,
  });

  let previous = { sequence: head.anchorSequence, hash: head.anchorHash };
  let last: AuditRecordRow | null = null;
  let checked = 0;
  for (;;) {
    const rows = await recordsAfter(em, chainKey, previous.sequence, head.lastSequence);
    for (const row of rows) {
      checked += 1;
      const reason = breakOf(row, previous);
      if (reason) return result(checked, row, reason);
      previous = { sequence: row.sequence, hash: row.hash };
      last = row;
    }
    if (rows.length < VERIFY_BATCH_SIZE) break;
  }
  if (previous.sequence < head.lastSequence) return result(checked, last, 'sequence_gap');
  if (last && last.hash !== head.lastHash) return result(checked, last, 'hash_mismatch');
  return { intact: true, checked, firstBroken: null, anchor };
}

/**
 * No head row: a log that never had a record is intact. Records without their head were cut loose from it (the
 * row deleted to hide where the chain ended): nothing vouches for the first one's link, so it is the break.
 */
async function headlessChain(em: EntityManager, chainKey: string): Promise<ChainVerification> {
  const [first] = await recordsAfter(em, chainKey, 0, Number.MAX_SAFE_INTEGER, 1);
  if (!first) return { intact: true, checked: 0, firstBroken: null, anchor: null };
  return {
    intact: false,
    checked: 1,
    firstBroken: { id: first.id, sequence: first.sequence, reason: 'link_mismatch' },
    anchor: null,
  };
}

/** Why a record does not follow the one before it, or null when it does. */
function breakOf(row: AuditRecordRow, previous: { sequence: number; hash: string }): BreakReason | null {
  if (row.sequence !== previous.sequence + 1) return 'sequence_gap';
  if (row.previousHash !== previous.hash) return 'link_mismatch';
  if (recordHash(row.previousHash, row) !== row.hash) return 'hash_mismatch';
  return null;
}

async function chainHead(em: EntityManager, chainKey: string): Promise<ChainHead | null> {
  const [raw] = await em.execute<Array<Record<string, string>>>(
    'select last_sequence, last_hash, anchor_sequence, anchor_hash from audit_chains where chain_key = ?',
    [chainKey],
  );
  if (!raw) return null;
  return {
    lastSequence: Number(raw.last_sequence),
    lastHash: String(raw.last_hash).trim(),
    anchorSequence: Number(raw.anchor_sequence),
    anchorHash: String(raw.anchor_hash).trim(),
  };
}

async function recordsAfter(
  em: EntityManager,
  chainKey: string,
  sequence: number,
  upTo: number,
  limit = VERIFY_BATCH_SIZE,
): Promise<AuditRecordRow[]> {
  const raw: Record<string, unknown>[] = await em.execute(
    `select ${RECORD_COLUMNS} from audit_records where chain_key = ? and sequence > ? and sequence <= ?
      order by sequence asc limit ?`,
    [chainKey, sequence, upTo, limit],
  );
  return raw.map(rowOf);
}
