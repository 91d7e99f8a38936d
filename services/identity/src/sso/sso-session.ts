import type { FastifyReply } from 'fastify';
import { commit, type IdentityContext } from '../context.js';
import { completeFirstFactorIn } from '../mfa-challenges/first-factor.js';
import { setSessionCookie } from '../sessions/cookie.js';
import type { Session } from '../sessions/entities.js';
import type { ClientInfo } from '../sessions/service.js';
import type { User } from '../users/entities.js';
import type { SsoConnection } from './entities.js';
import { loadLiveConnection } from './live-connection.js';
import { ssoRefused } from './refusal.js';

/** What an SSO sign-in ends in: a session, or the account's second factor still to prove. */
export type SsoSignInResult =
  | { kind: 'session'; sessionToken: string; session: Session; userId: string }
  | { kind: 'challenge'; challengeId: string };

/**
 * The IdP proved the first factor. An IdP that asserted MFA proved the second too (session amr
 * `sso` + `mfa`); otherwise an account with a factor of its own meets it here, as after a password,
 * and the challenge carries the connection (onto the session) and where the browser goes afterwards.
 * Sessions are written to the login history as `sso`.
 */
export async function openSsoSession(
  ctx: IdentityContext,
  connection: SsoConnection,
  user: User,
  client: ClientInfo,
  options: { mfaAsserted: boolean; returnTo: string },
): Promise<SsoSignInResult> {
  if (!user.isActive) throw ssoRefused('USER_NOT_ACTIVE', 'This account is deactivated');
  const result = await commit(ctx, async (em) => {
    // Read again in the transaction that opens the session: a connection disabled meanwhile stops it.
    await loadLiveConnection(ctx, connection.id, em);
    return completeFirstFactorIn(ctx, em, user, 'sso', client, {
      ssoConnectionId: connection.id,
      returnTo: options.returnTo,
      mfaAsserted: options.mfaAsserted,
    });
  });
  if (result.kind === 'challenge') return { kind: 'challenge', challengeId: result.challenge.challengeId };
  return { kind: 'session', sessionToken: result.token, session: result.session, userId: result.user.id };
}

/**
 * The console's second-factor page. The challenge rides in the fragment, which browsers never send
 * to a server nor put in a Referer: it stays out of logs and of other sites.
 */
export function secondFactorPageUrl(ctx: IdentityContext, challengeId: string): string {
  const url = new URL('/sign-in/mfa', ctx.config.PUBLIC_URL);
  url.hash = `challenge=${challengeId}`;
  return url.toString();
}

/**
 * Where the browser goes once the IdP's answer is accepted (OIDC callback: 302; SAML ACS: 303, the
 * browser follows a form post with a GET): `returnTo` with the session cookie, or the console's
 * second-factor page when the account's own factor is still to prove. Never cached.
 */
export function redirectAfterSsoSignIn(
  ctx: IdentityContext,
  reply: FastifyReply,
  signedIn: SsoSignInResult,
  returnTo: string,
  status: 302 | 303,
) {
  reply.header('cache-control', 'no-store');
  if (signedIn.kind === 'challenge') return reply.redirect(secondFactorPageUrl(ctx, signedIn.challengeId), status);
  setSessionCookie(ctx, reply, signedIn.sessionToken, signedIn.session);
  return reply.redirect(returnTo, status);
}
