import type { LoginMethodName, MfaChallenge as MfaChallengeAnswer } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from 'typebox';
import { commit, type IdentityContext } from '../context.js';
import type { Session } from '../sessions/entities.js';
import { openPasswordSession } from '../sessions/password-session.js';
import type { ClientInfo, SessionAuth } from '../sessions/service.js';
import { openSession } from '../sessions/sign-in.js';
import { loadUserForSignIn } from '../sessions/sign-in-lookup.js';
import type { User } from '../users/entities.js';
import type { FirstFactor } from './entities.js';
import { openChallenge } from './open.js';

/** The login-history method of a sign-in that began with this first factor. */
export function loginMethodOf(firstFactor: FirstFactor): LoginMethodName {
  if (firstFactor === 'sso') return 'sso';
  if (firstFactor === 'email') return 'magic_link';
  return 'password';
}

export interface FirstFactorOptions {
  rememberMe?: boolean;
  /** From the OAuth login page: the challenge is bound to this interaction. */
  interactionUid?: string;
  /** From SSO: carried onto the session. */
  ssoConnectionId?: string;
  /** From SSO: where the browser goes after the second factor. */
  returnTo?: string;
  /** From SSO: the IdP asserted MFA, so no second step is asked. */
  mfaAsserted?: boolean;
}

export type FirstFactorResult =
  | { kind: 'session'; token: string; session: Session; user: User }
  | { kind: 'challenge'; challenge: Static<typeof MfaChallengeAnswer> };

/**
 * After a first factor is proven (password, SSO, magic link) for an active user: a session when the
 * account has no second factor (or the IdP asserted MFA), else a sign-in challenge and no session.
 * The login history gets its row once: now for a session, when the challenge ends otherwise.
 */
export async function completeFirstFactor(
  ctx: IdentityContext,
  user: User,
  firstFactor: FirstFactor,
  client: ClientInfo,
  options: FirstFactorOptions = {},
): Promise<FirstFactorResult> {
  // The common case, a password and no second factor, is one statement (issue #21); when it writes
  // nothing (a second factor, or the account deactivated meanwhile) the transaction below decides.
  if (firstFactor === 'pwd' && !options.ssoConnectionId && !options.mfaAsserted) {
    const opened = await openPasswordSession(ctx, user.id, client);
    if (opened) return { kind: 'session', ...opened };
  }
  return commit(ctx, (em) => completeFirstFactorIn(ctx, em, user, firstFactor, client, options));
}

/**
 * The same, in the caller's transaction: for a sign-in whose first factor is spent there too (a magic
 * link's token, an SSO connection read under it), so it ends in a session or a challenge, or in nothing.
 */
export async function completeFirstFactorIn(
  ctx: IdentityContext,
  em: EntityManager,
  user: User,
  firstFactor: FirstFactor,
  client: ClientInfo,
  options: FirstFactorOptions = {},
): Promise<FirstFactorResult> {
  const factors = await loadUserForSignIn(em, user.id, !options.mfaAsserted);
  if (factors.length === 0) {
    const auth: SessionAuth = options.mfaAsserted
      ? { amr: [firstFactor, 'mfa'], secondFactorAt: new Date() }
      : { amr: [firstFactor] };
    const signedIn = await openSession(
      ctx,
      em,
      user.id,
      client,
      { ...auth, ssoConnectionId: options.ssoConnectionId ?? null },
      { method: loginMethodOf(firstFactor) },
    );
    return { kind: 'session', ...signedIn };
  }
  const challenge = await openChallenge(ctx, em, {
    purpose: 'sign_in',
    userId: user.id,
    client,
    firstFactor,
    rememberMe: options.rememberMe,
    interactionUid: options.interactionUid,
    ssoConnectionId: options.ssoConnectionId,
    returnTo: options.returnTo,
  });
  return { kind: 'challenge', challenge };
}
