import { AppError, type AuthenticatedPrincipal, isTokenScope } from '@gatehouse/contracts';
import { requireUser } from '@gatehouse/service-kit';
import type { FastifyRequest } from 'fastify';

/**
 * A credential creates only credentials at most as strong as itself (docs/api-keys.md "Credential
 * rules"). These are the checks API keys and OAuth apps share; the gateway's route table refuses
 * OAuth tokens on these routes too, and identity refuses them again so the rule holds whatever
 * the table says.
 */

/** Keys, OAuth apps and grants are managed with a session or a PAT, never by an OAuth app. */
export function requireCredentialManager(request: FastifyRequest): AuthenticatedPrincipal {
  const principal = requireUser(request);
  if (principal.kind === 'oauth') {
    throw new AppError('FORBIDDEN', 'This route cannot be called with an OAuth access token');
  }
  return principal;
}

/**
 * A key gives nothing it does not hold. Only API scopes count: the OpenID ones (openid, profile,
 * email, offline_access) are never a key's, and reach a user only through that user's consent.
 */
export function checkHeldScopes(principal: AuthenticatedPrincipal, scopes: readonly string[], what: string): void {
  if (principal.kind === 'session') return;
  const held: readonly string[] = principal.scopes;
  const missing = scopes.filter((scope) => isTokenScope(scope) && !held.includes(scope));
  if (missing.length > 0) {
    throw new AppError('API_KEY_MISSING_SCOPES', `A key cannot give ${what} scopes it does not hold`, {
      requiredScopes: missing,
    });
  }
}

/** The organization a key (or a pinned app's token) is pinned to; a session is never pinned. */
export function pinOf(principal: AuthenticatedPrincipal): string | null {
  return principal.kind === 'session' ? null : (principal.organizationId ?? null);
}

/** What only the person may do, signed in: prove the password again, or end the account. */
export function requirePerson(request: FastifyRequest): AuthenticatedPrincipal {
  const principal = requireUser(request);
  if (principal.kind !== 'session') {
    throw new AppError('FORBIDDEN', 'This route needs a signed-in session, not a key or an app');
  }
  return principal;
}

/** The whole account (its sessions, its profile): a credential pinned to one organization may not act on it. */
export function requireAccountWide(principal: AuthenticatedPrincipal): AuthenticatedPrincipal {
  if (pinOf(principal)) {
    throw new AppError('FORBIDDEN', 'A credential pinned to an organization cannot act on the whole account');
  }
  return principal;
}
