import { notFound, SSO_STATE_COOKIE } from '@gatehouse/contracts';
import type { FastifyReply } from 'fastify';
import { type IdentityContext, readEm } from '../context.js';
import type { SsoConnection } from './entities.js';
import { connectionForEmail } from './identify.js';
import { oidcLoginUrl } from './oidc.js';
import { checkReturnTo } from './return-to.js';
import { samlLoginUrl } from './saml/login.js';
import { newLoginState, recordLoginRequest, startLoginRequest } from './sign-in.js';

export { SSO_STATE_COOKIE };

/**
 * The state cookie binds a started sign-in to this browser. SameSite=None so the IdP's cross-site POST
 * to the SAML ACS carries it (browsers then require Secure). Its `__Host-` name makes browsers refuse
 * it unless Secure, Path=/ and without Domain: a sibling subdomain cannot plant a state of its own.
 */
function stateCookieOptions() {
  return { path: '/', httpOnly: true, secure: true, sameSite: 'none' as const };
}

export function setStateCookie(ctx: IdentityContext, reply: FastifyReply, state: string): void {
  reply.setCookie(SSO_STATE_COOKIE, state, { ...stateCookieOptions(), maxAge: ctx.config.SSO_LOGIN_TTL_SECONDS });
}

export function clearStateCookie(reply: FastifyReply): void {
  reply.clearCookie(SSO_STATE_COOKIE, stateCookieOptions());
}

/** GET /api/auth/sso/discover: the IdP URL to send the browser to, and the state its cookie keeps. */
export async function startSsoSignIn(
  ctx: IdentityContext,
  email: string,
  returnTo: string | undefined,
): Promise<{ location: string; state: string }> {
  const target = checkReturnTo(ctx.config, returnTo);
  const connection = await connectionForEmail(readEm(ctx), email);
  if (!connection) throw notFound('No single sign-on serves this address; sign in with a password');
  return connection.type === 'saml' ? startSaml(ctx, connection, target) : startOidc(ctx, connection, email, target);
}

async function startSaml(ctx: IdentityContext, connection: SsoConnection, returnTo: string) {
  // The AuthnRequest's ID is stored with the sign-in, so the state is made first and the row after.
  const state = newLoginState();
  const { url, requestId } = await samlLoginUrl(ctx, connection, state);
  await recordLoginRequest(ctx, connection, state, returnTo, { samlRequestId: requestId });
  return { location: url, state };
}

async function startOidc(ctx: IdentityContext, connection: SsoConnection, email: string, returnTo: string) {
  let state = '';
  const location = await oidcLoginUrl(ctx, connection, email, async (extra) => {
    ({ state } = await startLoginRequest(ctx, connection, returnTo, extra));
    return { state };
  });
  return { location, state };
}
