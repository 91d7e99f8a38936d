import type { MfaChallenge as MfaChallengeAnswer } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import type { IdentityContext } from '../context.js';
import type { Session } from '../sessions/entities.js';
import type { ClientInfo } from '../sessions/service.js';
import type { User } from '../users/entities.js';

// SIGNATURES FIXED BY THE LEAD (WP0); WP2 implements the bodies, WP3 (OAuth page, SSO, magic link) calls them.

export type FirstFactor = 'pwd' | 'sso' | 'email';

export interface FirstFactorOptions {
  /** The login-history method: password, sso or magic_link. */
  method: 'password' | 'sso' | 'magic_link';
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
 */
export async function completeFirstFactor(
  _ctx: IdentityContext,
  _user: User,
  _firstFactor: FirstFactor,
  _client: ClientInfo,
  _options: FirstFactorOptions,
): Promise<FirstFactorResult> {
  throw new Error('not built yet');
}
