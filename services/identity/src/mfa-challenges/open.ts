import type { MfaChallenge as MfaChallengeAnswer, MfaFactor } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from 'typebox';
import type { IdentityContext } from '../context.js';
import { assertionOptionsFor } from '../factors/passkeys.js';
import { factorsOf } from '../factors/status.js';
import type { ClientInfo } from '../sessions/service.js';
import type { FirstFactor, MfaChallenge } from './entities.js';
import { insertChallenge } from './rows.js';

export type ChallengeAnswer = Static<typeof MfaChallengeAnswer>;

export type ChallengeRequest =
  | {
      purpose: 'sign_in';
      userId: string;
      client: ClientInfo;
      firstFactor: FirstFactor;
      rememberMe?: boolean;
      interactionUid?: string;
      ssoConnectionId?: string;
      returnTo?: string;
    }
  | { purpose: 'step_up'; userId: string; client: ClientInfo; sessionId: string };

/**
 * Opens a second-factor challenge in the caller's transaction and answers it. When the account has
 * passkeys, the answer carries assertion options whose challenge is kept on the row (the assertion
 * must be for this challenge, not another ceremony).
 */
export async function openChallenge(
  ctx: IdentityContext,
  em: EntityManager,
  request: ChallengeRequest,
): Promise<ChallengeAnswer> {
  const factors = await factorsOf(em, request.userId);
  const options = factors.includes('passkey') ? await assertionOptionsFor(ctx, em, request.userId) : undefined;
  const { handle, row } = await insertChallenge(ctx, em, {
    ...request,
    ...(options ? { webauthnChallenge: options.challenge } : {}),
  });
  return presentChallenge(ctx, row, handle, factors, options);
}

export function presentChallenge(
  ctx: IdentityContext,
  row: MfaChallenge,
  handle: string,
  factors: MfaFactor[],
  passkeyOptions: Record<string, unknown> | undefined,
): ChallengeAnswer {
  return {
    mfaRequired: true,
    challengeId: handle,
    factors,
    expiresAt: row.expiresAt.toISOString(),
    attemptsLeft: Math.max(0, ctx.config.MFA_CHALLENGE_MAX_ATTEMPTS - row.attempts),
    ...(passkeyOptions ? { passkeyOptions } : {}),
  };
}
