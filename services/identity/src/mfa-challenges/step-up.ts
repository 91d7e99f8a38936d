import type { AuthenticatedPrincipal } from '@gatehouse/contracts';
import { AppError, notFound } from '@gatehouse/contracts';
import { commit, type IdentityContext } from '../context.js';
import { isEnrolled } from '../factors/status.js';
import type { ClientInfo } from '../sessions/service.js';
import { type ChallengeAnswer, openChallenge } from './open.js';

/**
 * Opens a step-up challenge for the calling session: answered with a factor (by this session only),
 * it refreshes the session's `secondFactorAt` so sensitive changes go through for MFA_STEP_UP_SECONDS.
 */
export async function startStepUp(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  client: ClientInfo,
): Promise<ChallengeAnswer> {
  if (principal.kind !== 'session') {
    throw new AppError('INSUFFICIENT_PERMISSIONS', 'Only a signed-in session confirms a second factor');
  }
  return commit(ctx, async (em) => {
    if (!(await isEnrolled(em, principal.userId))) throw notFound('This account has no second factor');
    return openChallenge(ctx, em, {
      purpose: 'step_up',
      userId: principal.userId,
      client,
      sessionId: principal.credentialId,
    });
  });
}
