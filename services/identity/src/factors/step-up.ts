import type { AuthenticatedPrincipal } from '@gatehouse/contracts';
import type { IdentityContext } from '../context.js';

// SIGNATURES FIXED BY THE LEAD (WP0); WP1 implements the body, WP2 puts the calls in the handlers.

/**
 * Sensitive changes need a session whose second factor is fresher than MFA_STEP_UP_SECONDS when the
 * account has a factor: else 403 MFA_REQUIRED `{reason: 'step_up', factors, stepUpUrl, maxAgeSeconds}`.
 * Reads `sessions.second_factor_at` (not the cached principal). Keys and app tokens are not asked.
 */
export async function requireFreshSecondFactor(
  _ctx: IdentityContext,
  _principal: AuthenticatedPrincipal,
): Promise<void> {
  throw new Error('not built yet');
}
