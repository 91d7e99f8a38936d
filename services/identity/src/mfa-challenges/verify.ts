import type { Amr, AuthenticatedPrincipal, MfaFactor, MfaVerifyBody } from '@gatehouse/contracts';
import { AppError } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Static } from 'typebox';
import { commit, type IdentityContext, readEm } from '../context.js';
import { announceSecurityChange } from '../credentials/revocation.js';
import { checkPasskeyAssertion } from '../factors/passkeys.js';
import { spendRecoveryCode } from '../factors/recovery-codes.js';
import { markSecondFactor } from '../factors/session-proof.js';
import { factorsOf, hasSecondFactor } from '../factors/status.js';
import { checkTotp } from '../factors/totp.js';
import { type Session, SessionSchema } from '../sessions/entities.js';
import type { ClientInfo } from '../sessions/service.js';
import { openSession, recordRefusedSignIn, type SignInRefusal } from '../sessions/sign-in.js';
import type { User } from '../users/entities.js';
import { loadUserForUpdate } from '../users/queries.js';
import type { MfaChallenge } from './entities.js';
import { loginMethodOf } from './first-factor.js';
import { expiredChallenge, findByHandle, spendChallenge } from './handle.js';

export type VerifyResult =
  | { kind: 'signed_in'; token: string; session: Session; user: User; redirectTo?: string }
  | { kind: 'stepped_up'; session: Session; user: User };

/**
 * Answers a challenge: the attempt is counted first (its own committed statement), then the factor is
 * checked. Wrong: AppError INVALID_CREDENTIALS with `meta.attemptsLeft`; unknown, expired, spent or out
 * of attempts: INVALID_OR_EXPIRED_TOKEN; a step-up challenge of another session: FORBIDDEN. A challenge
 * bound to an OAuth interaction is answered only with `expect.interactionUid` equal to it, and one not
 * bound to an interaction is refused there. `expect.requestId` lets a step-up ride the serving
 * gateway's purge header.
 */
export async function verifyChallenge(
  ctx: IdentityContext,
  input: Static<typeof MfaVerifyBody>,
  client: ClientInfo,
  principal: AuthenticatedPrincipal | null,
  expect: { interactionUid?: string; requestId?: string } = {},
): Promise<VerifyResult> {
  const row = await findByHandle(ctx, readEm(ctx), input.challengeId, ['sign_in', 'step_up']);
  if (!row?.userId || row.interactionUid !== (expect.interactionUid ?? null)) throw expiredChallenge();
  // Before the gate: another session must not burn the owner's attempts.
  if (row.purpose === 'step_up' && (principal?.kind !== 'session' || principal.credentialId !== row.sessionId)) {
    throw new AppError('FORBIDDEN', 'This confirmation belongs to another session');
  }
  const attempts = await countAttempt(ctx, row.id);
  const userId = row.userId;
  // Refusals are returned, not thrown, so what they wrote (the history row, a clone warning) commits.
  const outcome = await commit(ctx, async (em): Promise<Outcome> => {
    const user = await loadUserForUpdate(em, userId);
    if (!user.isActive) {
      recordRefusal(ctx, em, row, client, 'deactivated', input.type);
      return { ok: false, error: new AppError('USER_NOT_ACTIVE', 'This account is deactivated') };
    }
    const proof = await proveFactor(ctx, em, row, userId, input);
    if (!proof.ok) {
      recordRefusal(ctx, em, row, client, proof.reason, input.type);
      const attemptsLeft = Math.max(0, ctx.config.MFA_CHALLENGE_MAX_ATTEMPTS - attempts);
      return {
        ok: false,
        error: new AppError('INVALID_CREDENTIALS', 'That code or passkey was not accepted', { attemptsLeft }),
      };
    }
    await spendChallenge(em, row.id);
    if (row.purpose === 'step_up') return { ok: true, result: await stepUp(ctx, em, row, user, proof.amr, expect) };
    const firstFactor = row.firstFactor ?? 'pwd';
    const signedIn = await openSession(
      ctx,
      em,
      userId,
      client,
      {
        amr: [firstFactor, proof.amr, 'mfa'],
        secondFactorAt: new Date(),
        ssoConnectionId: row.ssoConnectionId,
      },
      { method: loginMethodOf(firstFactor), secondFactor: input.type },
    );
    return {
      ok: true,
      result: { kind: 'signed_in', ...signedIn, ...(row.returnTo ? { redirectTo: row.returnTo } : {}) },
    };
  });
  if (!outcome.ok) throw outcome.error;
  return outcome.result;
}

type Outcome = { ok: true; result: VerifyResult } | { ok: false; error: AppError };
type Proof = { ok: true; amr: Amr } | { ok: false; reason: SignInRefusal };

/**
 * The attempt gate, committed on its own before anything is checked, so a wrong answer (or a crash
 * while checking) always costs one; past the last attempt even the right answer is refused.
 */
async function countAttempt(ctx: IdentityContext, challengeId: string): Promise<number> {
  const counted: Array<{ attempts: number }> = await readEm(ctx)
    .getConnection()
    .execute(
      `update mfa_challenges set attempts = attempts + 1
        where id = ? and used_at is null and expires_at > now() and attempts < ?
        returning attempts`,
      [challengeId, ctx.config.MFA_CHALLENGE_MAX_ATTEMPTS],
    );
  const [row] = counted;
  if (!row) throw expiredChallenge();
  return Number(row.attempts);
}

async function proveFactor(
  ctx: IdentityContext,
  em: EntityManager,
  row: MfaChallenge,
  userId: string,
  input: Static<typeof MfaVerifyBody>,
): Promise<Proof> {
  const wrong: Proof = { ok: false, reason: 'wrong_second_factor' };
  switch (input.type) {
    case 'totp':
      return (await checkTotp(ctx, em, userId, input.code)) ? { ok: true, amr: 'otp' } : wrong;
    case 'recovery_code':
      // A recovery code is a one-time password (RFC 8176 `otp`); the history says which it was.
      return (await spendRecoveryCode(em, userId, input.code)).spent ? { ok: true, amr: 'otp' } : wrong;
    case 'passkey': {
      if (!row.webauthnChallenge) return wrong;
      const check = await checkPasskeyAssertion(ctx, em, {
        response: input.credential as unknown as AuthenticationResponseJSON,
        expectedChallenge: row.webauthnChallenge,
        userId,
        requireUserVerification: false,
      });
      if (check.ok) return { ok: true, amr: check.amr };
      return check.reason === 'counter_regression' ? { ok: false, reason: 'passkey_counter_regression' } : wrong;
    }
  }
}

/** The session that asked proves its second factor again; the gateways drop its cached principal. */
async function stepUp(
  ctx: IdentityContext,
  em: EntityManager,
  row: MfaChallenge,
  user: User,
  amr: Amr,
  expect: { requestId?: string },
): Promise<VerifyResult> {
  const session = row.sessionId ? await em.findOne(SessionSchema, { id: row.sessionId, userId: user.id }) : null;
  if (!session || !ctx.sessions.isLive(session)) throw expiredChallenge();
  await markSecondFactor(em, session.id, amr);
  await em.refresh(session);
  const factors: MfaFactor[] = await factorsOf(em, user.id);
  announceSecurityChange(
    em,
    user.id,
    { mfaEnabled: hasSecondFactor(factors), factors, change: 'second_factor_verified' },
    expect.requestId,
    [session.id],
  );
  return { kind: 'stepped_up', session, user };
}

/** A sign-in's history gets the refused attempt (a step-up is not a sign-in). */
function recordRefusal(
  ctx: IdentityContext,
  em: EntityManager,
  row: MfaChallenge,
  client: ClientInfo,
  reason: SignInRefusal,
  factor: MfaFactor,
): void {
  if (row.purpose !== 'sign_in' || !row.userId) return;
  recordRefusedSignIn(ctx, em, row.userId, client, reason, {
    method: loginMethodOf(row.firstFactor ?? 'pwd'),
    secondFactor: factor,
  });
}
