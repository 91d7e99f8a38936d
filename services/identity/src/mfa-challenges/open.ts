import type { MfaChallenge as MfaChallengeAnswer, MfaFactor } from '@gatehouse/contracts';
import { newId } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from 'typebox';
import type { IdentityContext } from '../context.js';
import { assertionOptionsFor } from '../factors/passkeys.js';
import { factorsOf } from '../factors/status.js';
import type { ClientInfo } from '../sessions/service.js';
import { type MfaChallenge, MfaChallengeSchema } from './entities.js';
import { forgetStaleChallenges, newHandle } from './handle.js';

export type ChallengeAnswer = Static<typeof MfaChallengeAnswer>;

export type ChallengeRequest =
  | {
      purpose: 'sign_in';
      userId: string;
      client: ClientInfo;
      firstFactor: 'pwd' | 'sso' | 'email';
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
  await forgetStaleChallenges(em);
  const factors = await factorsOf(em, request.userId);
  const options = factors.includes('passkey') ? await assertionOptionsFor(ctx, em, request.userId) : undefined;
  const { handle, secretHash } = newHandle(ctx.mfaKeys.accountTag(request.userId));
  const now = new Date();
  const signIn = request.purpose === 'sign_in' ? request : null;
  const row = em.create(MfaChallengeSchema, {
    id: newId(),
    secretHash,
    userId: request.userId,
    purpose: request.purpose,
    sessionId: request.purpose === 'step_up' ? request.sessionId : null,
    firstFactor: signIn?.firstFactor ?? null,
    ssoConnectionId: signIn?.ssoConnectionId ?? null,
    returnTo: signIn?.returnTo ?? null,
    interactionUid: signIn?.interactionUid ?? null,
    rememberMe: signIn?.rememberMe ?? true,
    webauthnChallenge: options?.challenge ?? null,
    attempts: 0,
    ip: request.client.ip,
    userAgent: request.client.userAgent?.slice(0, 512) ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ctx.config.MFA_CHALLENGE_TTL_SECONDS * 1000),
    usedAt: null,
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
