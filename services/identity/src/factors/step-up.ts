import { AppError, type AuthenticatedPrincipal } from '@gatehouse/contracts';
import { type IdentityContext, readEm } from '../context.js';
import { factorsOf, hasSecondFactor } from './status.js';

export const STEP_UP_URL = '/api/user/mfa/step-up';

/**
 * Sensitive changes need a session whose second factor is fresher than MFA_STEP_UP_SECONDS when the
 * account has a factor: else 403 MFA_REQUIRED `{reason: 'step_up', factors, stepUpUrl, maxAgeSeconds}`.
 * Reads `sessions.second_factor_at` (not the cached principal). Keys and app tokens are not asked.
 */
export async function requireFreshSecondFactor(ctx: IdentityContext, principal: AuthenticatedPrincipal): Promise<void> {
  // Keys and app tokens cannot present a factor; what they may do is bounded by their scopes (plan §0).
  if (principal.kind !== 'session') return;
  const em = readEm(ctx);
  const factors = await factorsOf(em, principal.userId);
  if (!hasSecondFactor(factors)) return;
  const maxAgeSeconds = ctx.config.MFA_STEP_UP_SECONDS;
  // The row, not the principal: a step-up just completed counts on the very next request, on every replica.
  const [row]: Array<{ fresh: boolean }> = await em.execute(
    `select coalesce(second_factor_at > now() - make_interval(secs => ?), false) as fresh
       from sessions where id = ? and user_id = ?`,
    [maxAgeSeconds, principal.credentialId, principal.userId],
  );
  if (row?.fresh === true) return;
  throw new AppError('MFA_REQUIRED', 'Confirm it is you with your second factor', {
    reason: 'step_up',
    factors,
    stepUpUrl: STEP_UP_URL,
    maxAgeSeconds,
  });
}
