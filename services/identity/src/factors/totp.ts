import { AppError } from '@gatehouse/contracts';
import { SealError } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { verify } from 'otplib';
import type { IdentityContext } from '../context.js';

/** RFC 6238 as every authenticator app does it: SHA-1, 6 digits, 30-second steps; ±1 step of clock drift. */
const TOTP_PERIOD_SECONDS = 30;

/** The associated data binding a sealed secret to its row (a secret copied onto another account does not open). */
export const totpAad = (userId: string) => `mfa_totp:${userId}`;

/**
 * The time step `code` belongs to (±1 step), or null when it is wrong or not after `afterTimeStep`
 * (a code of that step or an earlier one was already used).
 */
export async function totpStepOf(secret: string, code: string, afterTimeStep: number | null): Promise<number | null> {
  try {
    const result = await verify({
      secret,
      token: code,
      algorithm: 'sha1',
      digits: 6,
      period: TOTP_PERIOD_SECONDS,
      epochTolerance: TOTP_PERIOD_SECONDS,
      ...(afterTimeStep === null ? {} : { afterTimeStep }),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  } catch {
    // A malformed token is a wrong code, not a server error.
    return null;
  }
}

/** Opens a sealed secret; a value no configured key opens is an operator's problem, never "wrong code". */
export function openTotpSecret(ctx: IdentityContext, userId: string, sealed: string): string {
  try {
    return ctx.mfaKeys.open(sealed, totpAad(userId));
  } catch (error) {
    if (!(error instanceof SealError)) throw error;
    ctx.deps.logger.error(
      { userId, problem: error.message },
      'authenticator secret does not open (MFA_ENCRYPTION_KEY)',
    );
    throw new AppError('SERVICE_UNAVAILABLE', 'Authenticator codes cannot be checked right now; try another factor');
  }
}

/**
 * Checks a code against the account's confirmed authenticator app: ±1 step, each step usable once
 * (a guarded update of `last_used_step`, so two concurrent uses of one code cannot both pass). Re-seals
 * a secret sealed with an older key. False for a wrong, replayed or missing code; a secret that no
 * configured key opens is a logged error and an AppError SERVICE_UNAVAILABLE, never "wrong code".
 */
export async function checkTotp(
  ctx: IdentityContext,
  em: EntityManager,
  userId: string,
  code: string,
): Promise<boolean> {
  const [row]: Array<{ secret_sealed: string; last_used_step: string | null }> = await em.execute(
    'select secret_sealed, last_used_step from mfa_totp where user_id = ? and confirmed_at is not null',
    [userId],
  );
  if (!row) return false;
  const secret = openTotpSecret(ctx, userId, row.secret_sealed);
  const step = await totpStepOf(secret, code, row.last_used_step === null ? null : Number(row.last_used_step));
  if (step === null) return false;
  // Lazy rotation: a secret sealed with an older key is sealed again with the current one.
  const sealed = ctx.mfaKeys.isCurrent(row.secret_sealed)
    ? row.secret_sealed
    : ctx.mfaKeys.seal(secret, totpAad(userId));
  const advanced: unknown[] = await em.execute(
    `update mfa_totp set last_used_step = ?, last_used_at = now(), secret_sealed = ?
      where user_id = ? and confirmed_at is not null and (last_used_step is null or last_used_step < ?)
      returning user_id`,
    [step, sealed, userId, step],
  );
  return advanced.length === 1;
}
