import { AppError, type AuthenticatedPrincipal, conflict, notFound } from '@gatehouse/contracts';
import { generateSecret, generateURI } from 'otplib';
import { commit, type IdentityContext, readEm } from '../context.js';
import { accountAddress } from '../factors/account.js';
import { replaceRecoveryCodes } from '../factors/recovery-codes.js';
import { markSecondFactor } from '../factors/session-proof.js';
import { factorCounts, factorsFrom, hasSecondFactor, isEnrolled } from '../factors/status.js';
import { requireFreshSecondFactor } from '../factors/step-up.js';
import { openTotpSecret, totpAad, totpStepOf } from '../factors/totp.js';
import { recoveryCodesRegeneratedMail, totpEnabledMail, totpRemovedMail } from '../mail/templates.js';
import { announceFactorChange, dropRecoveryCodesIfLast, lockFactorsOf } from './factor-changes.js';

/** A secret handed out but never confirmed stops being confirmable after this (it may sit in a screenshot). */
const PENDING_TOTP_SECONDS = 30 * 60;

export async function mfaStatus(ctx: IdentityContext, userId: string) {
  const counts = await factorCounts(readEm(ctx), userId);
  const factors = factorsFrom(counts);
  return {
    enabled: hasSecondFactor(factors),
    factors,
    totp: { confirmedAt: counts.totpConfirmedAt?.toISOString() ?? null },
    passkeyCount: counts.passkeys,
    recoveryCodesLeft: counts.recoveryCodesLeft,
  };
}

/**
 * A new authenticator secret, pending until `confirmTotp`: starting again replaces a pending one. Adding
 * a factor next to an existing one is a sensitive change (step-up); a confirmed app is a conflict.
 */
export async function enrollTotp(ctx: IdentityContext, principal: AuthenticatedPrincipal) {
  await requireFreshSecondFactor(ctx, principal);
  const { userId } = principal;
  const secret = generateSecret({ length: 20 });
  const email = await commit(ctx, async (em) => {
    await lockFactorsOf(em, userId);
    const replaced: unknown[] = await em.execute(
      `insert into mfa_totp (user_id, secret_sealed, confirmed_at, last_used_step, last_used_at, created_at)
       values (?, ?, null, null, null, now())
       on conflict (user_id) do update
         set secret_sealed = excluded.secret_sealed, created_at = excluded.created_at,
             last_used_step = null, last_used_at = null
         where mfa_totp.confirmed_at is null
       returning user_id`,
      [userId, ctx.mfaKeys.seal(secret, totpAad(userId))],
    );
    if (replaced.length === 0) {
      throw conflict('TOTP_ALREADY_ENABLED', 'An authenticator app is already on; remove it before adding another');
    }
    return (await accountAddress(em, userId)).email;
  });
  const otpauthUri = generateURI({
    issuer: ctx.config.MFA_TOTP_ISSUER,
    label: email,
    secret,
    algorithm: 'sha1',
    digits: 6,
    period: 30,
  });
  // Loaded on first enrolment: 58 modules every identity process would otherwise hold from start (issue #21).
  const { default: QRCode } = await import('qrcode');
  const qrCodeDataUrl = await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, width: 256 });
  return { secret, otpauthUri, qrCodeDataUrl };
}

/**
 * Turns the pending app on with a code from it. Its step is recorded as used, so the same code cannot
 * also complete a sign-in; the calling session has just proven the factor. The account's first factor
 * also answers its recovery codes (shown this once).
 */
export async function confirmTotp(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  code: string,
  requestId: string,
): Promise<{ recoveryCodes: string[] | null }> {
  const { userId } = principal;
  return commit(ctx, async (em) => {
    await lockFactorsOf(em, userId);
    const [pending]: Array<{ secret_sealed: string; confirmed_at: Date | null; fresh: boolean }> = await em.execute(
      `select secret_sealed, confirmed_at, created_at > now() - make_interval(secs => ?) as fresh
         from mfa_totp where user_id = ?`,
      [PENDING_TOTP_SECONDS, userId],
    );
    if (pending?.confirmed_at) throw conflict('TOTP_ALREADY_ENABLED', 'The authenticator app is already on');
    if (!pending?.fresh) throw notFound('No authenticator app is being set up (or it took too long); start again');
    const step = await totpStepOf(openTotpSecret(ctx, userId, pending.secret_sealed), code, null);
    if (step === null) {
      throw new AppError('INVALID_CREDENTIALS', 'That code is not right; check the app shows this account', {
        field: 'code',
      });
    }
    const firstFactor = !(await isEnrolled(em, userId));
    // A secret set up before the account had a factor must not become a second one without proving the first.
    if (!firstFactor) await requireFreshSecondFactor(ctx, principal);
    await em.execute(
      'update mfa_totp set confirmed_at = now(), last_used_step = ?, last_used_at = now() where user_id = ?',
      [step, userId],
    );
    const recoveryCodes = firstFactor ? await replaceRecoveryCodes(em, userId) : null;
    await markSecondFactor(em, principal.credentialId, 'otp');
    await announceFactorChange(em, userId, 'totp_enabled', (to) => totpEnabledMail(to), requestId);
    return { recoveryCodes };
  });
}

/** Turns the app off (step-up); when it was the last factor, the recovery codes go too. */
export async function deleteTotp(ctx: IdentityContext, principal: AuthenticatedPrincipal, requestId: string) {
  await requireFreshSecondFactor(ctx, principal);
  const { userId } = principal;
  await commit(ctx, async (em) => {
    await lockFactorsOf(em, userId);
    const [removed]: Array<{ confirmed_at: Date | null }> = await em.execute(
      'delete from mfa_totp where user_id = ? returning confirmed_at',
      [userId],
    );
    if (!removed) throw notFound('No authenticator app is set up');
    // A pending secret that was never confirmed changed nothing anyone relied on: no notice.
    if (!removed.confirmed_at) return;
    await dropRecoveryCodesIfLast(em, userId);
    await announceFactorChange(em, userId, 'totp_removed', totpRemovedMail, requestId);
  });
}

/** Ten new codes (step-up); the old ones stop working in the same transaction. */
export async function regenerateRecoveryCodes(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  requestId: string,
): Promise<{ recoveryCodes: string[] }> {
  await requireFreshSecondFactor(ctx, principal);
  const { userId } = principal;
  return commit(ctx, async (em) => {
    await lockFactorsOf(em, userId);
    if (!(await isEnrolled(em, userId))) {
      throw notFound('Two-step verification is off: recovery codes come with a first factor');
    }
    const recoveryCodes = await replaceRecoveryCodes(em, userId);
    await announceFactorChange(
      em,
      userId,
      'recovery_codes_regenerated',
      (to) => recoveryCodesRegeneratedMail(to),
      requestId,
    );
    return { recoveryCodes };
  });
}
