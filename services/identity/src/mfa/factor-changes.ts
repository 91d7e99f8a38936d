import { type MailMessage, queueMail } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { announceSecurityChange } from '../credentials/revocation.js';
import { accountAddress } from '../factors/account.js';
import { factorsOf, hasSecondFactor, isEnrolled } from '../factors/status.js';

/**
 * Serialises factor changes of one account (enrol, confirm, add, remove, regenerate) within the
 * caller's transaction, so "is this the first factor?" and "was it the last?" hold when written.
 */
export async function lockFactorsOf(em: EntityManager, userId: string): Promise<void> {
  await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`mfa-factors:${userId}`]);
}

/**
 * After a factor change, in its transaction: the owner's notice mail and `user.security_changed`
 * (the gateways drop the user's cached credentials, whose principals carry `mfaEnrolled`).
 * Answers whether the account still has a second factor.
 */
export async function announceFactorChange(
  em: EntityManager,
  userId: string,
  change: string,
  mail: (to: string, mfaStillOn: boolean) => MailMessage | null,
  requestId: string | undefined,
): Promise<boolean> {
  await em.flush();
  const factors = await factorsOf(em, userId);
  const mfaEnabled = hasSecondFactor(factors);
  const { email } = await accountAddress(em, userId);
  const message = mail(email, mfaEnabled);
  if (message) queueMail(em, message);
  announceSecurityChange(em, userId, { mfaEnabled, factors, change }, requestId);
  return mfaEnabled;
}

/**
 * When the last real factor went, the recovery codes go too: alone they are no second factor. Called
 * under `lockFactorsOf`, so no factor is added between the check and the delete.
 */
export async function dropRecoveryCodesIfLast(em: EntityManager, userId: string): Promise<void> {
  if (await isEnrolled(em, userId)) return;
  await em.execute('delete from mfa_recovery_codes where user_id = ?', [userId]);
}
