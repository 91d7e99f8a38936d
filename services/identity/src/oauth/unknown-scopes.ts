import { isOAuthScope } from '@gatehouse/contracts';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider silently drops scopes it does not know; Gatehouse refuses them (docs/oauth.md
 * "Scopes"). For an authorization request from a known client to one of its registered redirect
 * URIs, an unknown scope sends the browser back with `invalid_scope` (RFC 6749 §4.1.2.1). Anything
 * else (unknown client, foreign redirect URI) is left to oidc-provider's own error page.
 */
export function refuseUnknownScopes(provider: Provider) {
  return async function unknownScopes(koa: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
    if (koa.method === 'POST' && koa.path === '/token') return refuseAtTokenEndpoint(koa, next);
    if (koa.method !== 'GET' || koa.path !== '/auth') return next();
    const { scope, client_id: clientId, redirect_uri: redirectUri, state } = koa.query;
    if (typeof scope !== 'string' || typeof clientId !== 'string' || typeof redirectUri !== 'string') return next();
    const unknown = unknownIn(scope);
    if (unknown.length === 0) return next();
    const client = await provider.Client.find(clientId).catch(() => undefined);
    if (!client?.redirectUriAllowed(redirectUri)) return next();
    const target = new URL(redirectUri);
    target.searchParams.set('error', 'invalid_scope');
    target.searchParams.set('error_description', `unknown scope: ${unknown.join(' ')}`);
    if (typeof state === 'string') target.searchParams.set('state', state);
    target.searchParams.set('iss', provider.issuer);
    koa.status = 303;
    koa.redirect(target.toString());
  };
}

function unknownIn(scope: string): string[] {
  return scope.split(' ').filter((item) => item && !isOAuthScope(item));
}

/**
 * A client-credentials request names its scopes at the token endpoint, where oidc-provider drops
 * unknown ones too. The request body is oidc-provider's to read, so the check follows it: a
 * token minted for a request with an unknown scope is never handed out (it is a JWT nobody has
 * seen, so there is nothing to revoke) and the client gets `invalid_scope` instead.
 */
async function refuseAtTokenEndpoint(koa: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  const params = koa.oidc?.params;
  if (koa.status !== 200 || params?.grant_type !== 'client_credentials' || typeof params.scope !== 'string') return;
  const unknown = unknownIn(params.scope);
  if (unknown.length === 0) return;
  koa.status = 400;
  koa.body = { error: 'invalid_scope', error_description: `unknown scope: ${unknown.join(' ')}` };
}
