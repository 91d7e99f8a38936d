import { AppError } from '@gatehouse/contracts';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { commit, type IdentityContext, readEm } from '../context.js';
import { checkPasskeyAssertion } from '../factors/passkeys.js';
import { relyingParty } from '../factors/webauthn.js';
import type { ClientInfo, SignInResult } from '../sessions/service.js';
import { openSession, recordRefusedSignIn, type SignInRefusal } from '../sessions/sign-in.js';
import { passwordRefusal } from '../sso-policy/policy.js';
import { findUserById } from '../users/queries.js';
import { expiredChallenge, findByHandle, spendChallenge } from './handle.js';
import { insertChallenge } from './rows.js';

const PASSKEY_REFUSED = () => new AppError('INVALID_CREDENTIALS', 'That passkey was not accepted');

/**
 * Starts a passwordless sign-in: discoverable credentials (no account named, so the browser offers
 * what it has for this site) with user verification required — a verified passkey is two factors.
 * No account is known yet, so the handle's tag is random (the gateway limits this per IP only).
 */
export async function startPasskeySignIn(
  ctx: IdentityContext,
  client: ClientInfo,
): Promise<{ ceremonyId: string; options: Record<string, unknown> }> {
  // Imported on the first ceremony, not at start (see factors/passkeys.ts).
  const { generateAuthenticationOptions } = await import('@simplewebauthn/server');
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(ctx).rpID,
    allowCredentials: [],
    userVerification: 'required',
    // The browser may take over the passkey prompt as long as the ceremony row lives.
    timeout: ctx.config.MFA_CHALLENGE_TTL_SECONDS * 1000,
  });
  const { handle } = await commit(ctx, (em) =>
    insertChallenge(ctx, em, {
      purpose: 'passkey_sign_in',
      userId: null,
      client,
      webauthnChallenge: options.challenge,
    }),
  );
  return { ceremonyId: handle, options: options as unknown as Record<string, unknown> };
}

type PasskeyOutcome = { ok: true; signedIn: SignInResult } | { ok: false; error: AppError };

/**
 * Completes a passwordless sign-in. The ceremony is spent before the assertion is checked (one
 * verification per ceremony, whatever its outcome). The passkey's account then meets the same rules
 * as a password sign-in: an SSO-required domain refuses it (owners exempt), a deactivated account too.
 */
export async function passkeySignIn(
  ctx: IdentityContext,
  input: { ceremonyId: string; credential: Record<string, unknown> },
  client: ClientInfo,
): Promise<SignInResult> {
  const row = await findByHandle(ctx, readEm(ctx), input.ceremonyId, ['passkey_sign_in']);
  if (!row?.webauthnChallenge) throw expiredChallenge();
  await spendChallenge(readEm(ctx), row.id);
  const expectedChallenge = row.webauthnChallenge;
  // Failures are returned, not thrown, so what they wrote (a clone warning mail, the history row) commits.
  const outcome = await commit(ctx, async (em): Promise<PasskeyOutcome> => {
    const check = await checkPasskeyAssertion(ctx, em, {
      response: input.credential as unknown as AuthenticationResponseJSON,
      expectedChallenge,
      userId: null,
      requireUserVerification: true,
    });
    if (!check.ok) return { ok: false, error: PASSKEY_REFUSED() };
    const user = await findUserById(em, check.passkey.userId);
    if (!user) return { ok: false, error: PASSKEY_REFUSED() };
    const refusal = await passwordRefusal(ctx, user.email, user.id, em);
    const failure: { reason: SignInRefusal; error: AppError } | null = refusal
      ? { reason: 'sso_required', error: refusal }
      : !user.isActive
        ? { reason: 'deactivated', error: new AppError('USER_NOT_ACTIVE', 'This account is deactivated') }
        : null;
    if (failure) {
      recordRefusedSignIn(ctx, em, user.id, client, failure.reason, { method: 'passkey' });
      return { ok: false, error: failure.error };
    }
    const signedIn = await openSession(
      ctx,
      em,
      user.id,
      client,
      { amr: [check.amr, 'mfa'], secondFactorAt: new Date() },
      { method: 'passkey' },
    );
    return { ok: true, signedIn };
  });
  if (!outcome.ok) throw outcome.error;
  return outcome.signedIn;
}
