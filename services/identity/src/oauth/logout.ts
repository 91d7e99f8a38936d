import { gatewayPrincipalOf, requestIdFrom } from '@gatehouse/service-kit';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { IdentityContext } from '../context.js';
import { revokedCredentialsHeader } from '../credentials/revocation.js';
import { sessionCookieOptions } from '../sessions/cookie.js';
import { signOut } from '../sessions/service.js';

/**
 * Signing out at the authorization server (RP-initiated logout, "Sign out") signs the browser
 * out of Gatehouse too: its session is revoked (gateways drop it at once) and its cookie cleared.
 */
export function endGatehouseSessionOnLogout(ctx: IdentityContext) {
  return async function gatehouseLogout(koa: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    if (koa.oidc?.route !== 'end_session_confirm' || koa.status !== 303 || !koa.oidc.params?.logout) return;
    const principal = gatewayPrincipalOf(koa.req);
    if (principal?.kind !== 'session') return;
    const requestId = requestIdFrom(koa.req.headers['x-request-id']);
    await signOut(ctx, principal.credentialId, requestId);
    const revoked = revokedCredentialsHeader(requestId);
    if (revoked) koa.set(...revoked);
    koa.cookies.set(ctx.config.SESSION_COOKIE_NAME, null, { ...sessionCookieOptions(ctx), signed: false });
  };
}
