import { timingSafeEqual } from 'node:crypto';
import { AppError } from '@gatehouse/contracts';
import { hashSecret, randomSecret, sameDigest } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import { type ChallengePurpose, type MfaChallenge, MfaChallengeSchema } from './entities.js';

/** A fresh handle `<tag>.<secret>` (256-bit secret) and the digest that is all the row keeps of it. */
export function newHandle(tag: string): { handle: string; secretHash: string } {
  const secret = randomSecret(32);
  return { handle: `${tag}.${secret}`, secretHash: hashSecret(secret) };
}

export const expiredChallenge = () =>
  new AppError('INVALID_OR_EXPIRED_TOKEN', 'This sign-in step has expired or was already used; start again');

/**
 * The row a handle names, of one of these purposes, or null. For a row with an account the tag must be
 * that account's: a handle cannot be answered under another account's per-account limit budget.
 */
export async function findByHandle(
  ctx: IdentityContext,
  em: EntityManager,
  handle: string,
  purposes: readonly ChallengePurpose[],
): Promise<MfaChallenge | null> {
  const dot = handle.indexOf('.');
  if (dot <= 0) return null;
  const tag = handle.slice(0, dot);
  const digest = hashSecret(handle.slice(dot + 1));
  const row = await em.findOne(MfaChallengeSchema, { secretHash: digest });
  if (!row || !sameDigest(row.secretHash, digest) || !purposes.includes(row.purpose)) return null;
  if (row.userId !== null && !sameText(tag, ctx.mfaKeys.accountTag(row.userId))) return null;
  return row;
}

/** Not spent, not expired, attempts left (what the attempt gate asks again, atomically). */
export function isOpen(ctx: IdentityContext, row: MfaChallenge, now = new Date()): boolean {
  return row.usedAt === null && row.expiresAt > now && row.attempts < ctx.config.MFA_CHALLENGE_MAX_ATTEMPTS;
}

/**
 * Spends a challenge once, in `em`'s transaction (or on its own when `em` has none): of two answers
 * racing for one challenge, the second is refused. Throws INVALID_OR_EXPIRED_TOKEN when it is spent or expired.
 */
export async function spendChallenge(em: EntityManager, challengeId: string): Promise<void> {
  const spent: unknown[] = await em.execute(
    'update mfa_challenges set used_at = now() where id = ? and used_at is null and expires_at > now() returning id',
    [challengeId],
  );
  if (spent.length === 0) throw expiredChallenge();
}

/** Rows expired over an hour ago go, a bounded batch at each new one (the table stays small). */
export async function forgetStaleChallenges(em: EntityManager): Promise<void> {
  await em.execute(
    `delete from mfa_challenges where id in
       (select id from mfa_challenges where expires_at < now() - interval '1 hour' limit 100)`,
  );
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
