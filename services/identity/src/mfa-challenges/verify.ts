import type { AuthenticatedPrincipal, MfaVerifyBody } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import type { IdentityContext } from '../context.js';
import type { Session } from '../sessions/entities.js';
import type { ClientInfo } from '../sessions/service.js';
import type { User } from '../users/entities.js';

// SIGNATURES FIXED BY THE LEAD (WP0); WP2 implements the body, WP3 (OAuth page, SSO) calls it.

export type VerifyResult =
  | { kind: 'signed_in'; token: string; session: Session; user: User; redirectTo?: string }
  | { kind: 'stepped_up'; session: Session; user: User };

/**
 * Answers a challenge: the attempt is counted first (its own committed statement), then the factor is
 * checked. Wrong: AppError INVALID_CREDENTIALS with `meta.attemptsLeft`; unknown, expired, spent or out
 * of attempts: INVALID_OR_EXPIRED_TOKEN; a step-up challenge of another session: FORBIDDEN. A challenge
 * bound to an OAuth interaction is answered only with `expect.interactionUid` equal to it, and one not
 * bound to an interaction is refused there.
 */
export async function verifyChallenge(
  _ctx: IdentityContext,
  _input: Static<typeof MfaVerifyBody>,
  _client: ClientInfo,
  _principal: AuthenticatedPrincipal | null,
  _expect: { interactionUid?: string } = {},
): Promise<VerifyResult> {
  throw new Error('not built yet');
}
