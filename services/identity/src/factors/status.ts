import type { MfaFactor } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';

// SIGNATURES FIXED BY THE LEAD (WP0); WP1 implements the bodies. Others import these names.

/** The factors a sign-in may be completed with, in this order: totp, passkey, recovery_code (only with one of the others). */
export async function factorsOf(_em: EntityManager, _userId: string): Promise<MfaFactor[]> {
  throw new Error('not built yet');
}

/** A confirmed authenticator app or at least one passkey (recovery codes alone do not count). */
export async function isEnrolled(_em: EntityManager, _userId: string): Promise<boolean> {
  throw new Error('not built yet');
}
