import { createHash } from 'node:crypto';
import { gatewayPrincipalOf, requestIdFrom } from '@gatehouse/service-kit';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { IdentityContext } from '../context.js';
import { revokedCredentialsHeader } from '../credentials/revocation.js';
import { sessionCookieOptions, signOut } from '../sessions/cookie.js';

const INLINE_SCRIPT = /<script>([\s\S]*?)<\/script>/g;

/**
 * The pages oidc-provider renders itself (logout, the form it posts for a browser without a
 * session, errors) get a Content-Security-Policy of their own: nothing external, and only the
 * inline scripts they carry (allowed by hash), so the gateway's generic policy cannot break them.
 */
export function securePages() {
  return async function pageSecurity(koa: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    await next();
    if (typeof koa.body !== 'string' || !koa.response.is('html')) return;
    const hashes = [...koa.body.matchAll(INLINE_SCRIPT)].map(
      (match) =>
        `'sha256-${createHash('sha256')
          .update(match[1] ?? '')
          .digest('base64')}'`,
    );
    koa.set(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; script-src ${hashes.length > 0 ? hashes.join(' ') : "'none'"}; frame-ancestors 'none'; base-uri 'none'`,
    );
    koa.set('referrer-policy', 'same-origin');
    koa.set('cache-control', 'no-store');
  };
}

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
