import { randomBytes } from 'node:crypto';
import { newId, RECOVERY_CODE_COUNT } from '@gatehouse/contracts';
import { hashSecret, queueMail } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { recoveryCodeUsedMail } from '../mail/templates.js';
import { accountAddress } from './account.js';

/** Crockford's Base32: no I, L, O or U, so a code read off paper is not mistyped. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 80 random bits, 16 characters of 5 bits. */
const CODE_BYTES = 10;
const CODE_LENGTH = 16;

/** One fresh code, shown as `XXXX-XXXX-XXXX-XXXX`. */
export function newRecoveryCode(): string {
  let bits = 0n;
  for (const byte of randomBytes(CODE_BYTES)) bits = (bits << 8n) | BigInt(byte);
  let plain = '';
  for (let index = 0; index < CODE_LENGTH; index++) {
    plain = CROCKFORD[Number(bits & 31n)] + plain;
    bits >>= 5n;
  }
  return plain.match(/.{4}/g)?.join('-') ?? plain;
}

/**
 * The canonical form of a typed code (what is hashed): case, spaces and hyphens ignored, and the
 * letters Crockford reads as digits (O → 0, I and L → 1). Null when it cannot be a code.
 */
export function normaliseRecoveryCode(typed: string): string | null {
  const plain = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (plain.length !== CODE_LENGTH) return null;
  for (const char of plain) if (!CROCKFORD.includes(char)) return null;
  return plain;
}

const hashRecoveryCode = (normalised: string) => hashSecret(normalised);

/**
 * Replaces every recovery code of the account with RECOVERY_CODE_COUNT new ones (the old ones stop
 * working) in the caller's transaction, and answers them: shown once, only their hashes are kept.
 */
export async function replaceRecoveryCodes(em: EntityManager, userId: string): Promise<string[]> {
  await em.execute('delete from mfa_recovery_codes where user_id = ?', [userId]);
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const now = new Date();
  const values = codes.flatMap((code) => {
    const normalised = normaliseRecoveryCode(code);
    if (!normalised) throw new Error('a generated recovery code does not normalise');
    return [newId(), userId, hashRecoveryCode(normalised), now];
  });
  await em.execute(
    `insert into mfa_recovery_codes (id, user_id, code_hash, created_at, used_at)
     values ${codes.map(() => '(?, ?, ?, ?, null)').join(', ')}`,
    values,
  );
  return codes;
}

/** How many unused codes the account has. */
export async function recoveryCodesLeft(em: EntityManager, userId: string): Promise<number> {
  const [row]: Array<{ remaining: string }> = await em.execute(
    'select count(*) as remaining from mfa_recovery_codes where user_id = ? and used_at is null',
    [userId],
  );
  return Number(row?.remaining ?? 0);
}

/**
 * Spends one unused recovery code of the account (normalised: case, spaces and hyphens ignored; a
 * guarded update so it is spent once). Queues the "a recovery code was used, N left" mail in `em`.
 */
export async function spendRecoveryCode(
  em: EntityManager,
  userId: string,
  code: string,
): Promise<{ spent: boolean; left: number }> {
  const normalised = normaliseRecoveryCode(code);
  // The hash is looked up (not compared in code): the digest of a guess reveals nothing about the stored ones.
  const spent: unknown[] = normalised
    ? await em.execute(
        `update mfa_recovery_codes set used_at = now()
          where user_id = ? and code_hash = ? and used_at is null returning id`,
        [userId, hashRecoveryCode(normalised)],
      )
    : [];
  const left = await recoveryCodesLeft(em, userId);
  if (spent.length === 0) return { spent: false, left };
  const { email } = await accountAddress(em, userId);
  queueMail(em, recoveryCodeUsedMail(email, left));
  return { spent: true, left };
}
