import type { MfaFactor } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';

/** factorCounts' columns for the user whose id is `userId` (a column or a `?`), so a caller's statement can ask them too. */
export function factorCountColumns(userId: string): string {
  return `(select confirmed_at from mfa_totp where user_id = ${userId}) as totp_confirmed_at,
          (select count(*) from mfa_passkeys where user_id = ${userId}) as passkeys,
          (select count(*) from mfa_recovery_codes where user_id = ${userId} and used_at is null) as recovery_codes_left`;
}

export interface FactorCountsRow {
  totp_confirmed_at: Date | string | null;
  passkeys: string | number;
  recovery_codes_left: string | number;
}

/** A row of factorCountColumns as factorCounts answers it. */
export function factorCountsFrom(row: FactorCountsRow | undefined) {
  return {
    totpConfirmedAt: row?.totp_confirmed_at ? new Date(row.totp_confirmed_at) : null,
    passkeys: Number(row?.passkeys ?? 0),
    recoveryCodesLeft: Number(row?.recovery_codes_left ?? 0),
  };
}

/** What the account holds, in one round trip. */
export async function factorCounts(
  em: EntityManager,
  userId: string,
): Promise<{ totpConfirmedAt: Date | null; passkeys: number; recoveryCodesLeft: number }> {
  const [row]: FactorCountsRow[] = await em.execute(`select ${factorCountColumns('?')}`, [userId, userId, userId]);
  return factorCountsFrom(row);
}

/** The factor list of `factorCounts`: recovery codes count only next to a real factor. */
export function factorsFrom(counts: { totpConfirmedAt: Date | null; passkeys: number; recoveryCodesLeft: number }) {
  const factors: MfaFactor[] = [];
  if (counts.totpConfirmedAt) factors.push('totp');
  if (counts.passkeys > 0) factors.push('passkey');
  if (factors.length > 0 && counts.recoveryCodesLeft > 0) factors.push('recovery_code');
  return factors;
}

/** The factors a sign-in may be completed with, in this order: totp, passkey, recovery_code (only with one of the others). */
export async function factorsOf(em: EntityManager, userId: string): Promise<MfaFactor[]> {
  return factorsFrom(await factorCounts(em, userId));
}

/** A real second factor: a confirmed authenticator app or a passkey (recovery codes alone do not count). */
export function hasSecondFactor(factors: readonly MfaFactor[]): boolean {
  return factors.includes('totp') || factors.includes('passkey');
}

/** Whether the account has a real second factor (`hasSecondFactor` of what it holds). */
export async function isEnrolled(em: EntityManager, userId: string): Promise<boolean> {
  return hasSecondFactor(await factorsOf(em, userId));
}
