import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { IdentityContext } from '../context.js';
import type { MfaPasskey } from './entities.js';

// SIGNATURES FIXED BY THE LEAD (WP0); WP1 implements the bodies.

export type PasskeyCheck =
  | { ok: true; passkey: MfaPasskey; amr: 'hwk' | 'swk'; userVerified: boolean }
  | { ok: false; reason: 'unknown_credential' | 'not_verified' | 'counter_regression' | 'user_handle_mismatch' };

/**
 * Verifies an assertion (@simplewebauthn/server verifyAuthenticationResponse) against the stored passkey
 * with that credential id — of `userId` only when given (a second factor must be this account's) —
 * then advances its counter with a compare-and-set. A counter that did not go up (a copied authenticator)
 * is refused and the owner mailed (once a day per passkey). Never throws for a bad assertion.
 */
export async function checkPasskeyAssertion(
  _ctx: IdentityContext,
  _em: EntityManager,
  _input: {
    response: AuthenticationResponseJSON;
    expectedChallenge: string;
    userId: string | null;
    requireUserVerification: boolean;
  },
): Promise<PasskeyCheck> {
  throw new Error('not built yet');
}

/** Options for a second-factor assertion with the account's own passkeys (`userVerification: 'preferred'`). */
export async function assertionOptionsFor(
  _ctx: IdentityContext,
  _em: EntityManager,
  _userId: string,
): Promise<Record<string, unknown> & { challenge: string }> {
  throw new Error('not built yet');
}
