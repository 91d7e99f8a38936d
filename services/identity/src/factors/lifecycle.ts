import { queueMail } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { announceSecurityChange } from '../credentials/revocation.js';
import { factorsClearedMail } from '../mail/templates.js';
import { accountAddress } from './account.js';
import { factorCounts } from './status.js';

/** Every factor row of the account and its open challenges (ceremonies, sign-ins, step-ups) go. */
export async function deleteForUser(em: EntityManager, userId: string): Promise<void> {
  await em.execute('delete from mfa_challenges where user_id = ?', [userId]);
  await em.execute('delete from mfa_recovery_codes where user_id = ?', [userId]);
  await em.execute('delete from mfa_passkeys where user_id = ?', [userId]);
  await em.execute('delete from mfa_totp where user_id = ?', [userId]);
}

/**
 * Removes every second factor when the account's ownership was proven again by someone who may not be
 * who set them up (the address verified by a stranger, SSO linking, an operator's reset): mails the
 * owner and announces `factors_cleared` when there was anything to clear.
 */
export async function clearFactors(em: EntityManager, userId: string, requestId?: string): Promise<boolean> {
  const before = await factorCounts(em, userId);
  const had = before.totpConfirmedAt !== null || before.passkeys > 0 || before.recoveryCodesLeft > 0;
  await deleteForUser(em, userId);
  if (!had) return false;
  const { email } = await accountAddress(em, userId);
  queueMail(em, factorsClearedMail(email));
  announceSecurityChange(em, userId, { mfaEnabled: false, factors: [], change: 'factors_cleared' }, requestId);
  return true;
}

/** What the account export shows of its factors: metadata only, never a secret or a hash. */
export async function exportForUser(em: EntityManager, userId: string) {
  const counts = await factorCounts(em, userId);
  const passkeys: Array<{
    name: string;
    created_at: Date;
    last_used_at: Date | null;
    device_type: 'singleDevice' | 'multiDevice';
    backed_up: boolean;
  }> = await em.execute(
    `select name, created_at, last_used_at, device_type, backed_up
       from mfa_passkeys where user_id = ? order by created_at, id`,
    [userId],
  );
  return {
    totp: counts.totpConfirmedAt ? { confirmedAt: counts.totpConfirmedAt.toISOString() } : null,
    passkeys: passkeys.map((passkey) => ({
      name: passkey.name,
      createdAt: new Date(passkey.created_at).toISOString(),
      lastUsedAt: passkey.last_used_at ? new Date(passkey.last_used_at).toISOString() : null,
      deviceType: passkey.device_type,
      backedUp: passkey.backed_up,
    })),
    recoveryCodesLeft: counts.recoveryCodesLeft,
  };
}
