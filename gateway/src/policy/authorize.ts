import {
  AppError,
  type AuthenticatedPrincipal,
  type CredentialKind,
  type DirectoryPrincipal,
  type RoutePolicy,
} from '@gatehouse/contracts';
import type { RouteMatch } from './router.js';

const CREDENTIAL_NAMES = {
  session: 'a session',
  api_key: 'an API key',
  oauth: 'an OAuth access token',
  scim: 'a SCIM token',
} as const;

/**
 * The token-scope half of authorization (roles are the services' half):
 * - a session holds every scope;
 * - a PAT or OAuth token needs at least one of the route's scopes;
 * - a PAT pinned to an organization may only touch that organization's tenant routes;
 * - a route may admit only some credential kinds (third-party apps cannot manage OAuth apps).
 */
export function authorize(principal: AuthenticatedPrincipal | DirectoryPrincipal, match: RouteMatch): void {
  const { policy, params } = match;
  // A SCIM token reaches only the routes that name it (its directory's /scim/v2); no route admits it by default.
  const admitted: readonly CredentialKind[] = policy.credentials ?? PERSON_CREDENTIALS;
  if (!admitted.includes(principal.kind)) {
    throw new AppError('FORBIDDEN', `This route cannot be called with ${CREDENTIAL_NAMES[principal.kind]}`);
  }
  if (principal.kind === 'scim') return;
  if (policy.accountWide && principal.kind !== 'session' && principal.organizationId) {
    throw new AppError('FORBIDDEN', 'A credential pinned to an organization cannot act on the whole account');
  }
  checkScopes(principal, policy);
  if (policy.tenant) checkOrganizationPin(principal, params.organizationId);
}

const PERSON_CREDENTIALS = ['session', 'api_key', 'oauth'] as const satisfies readonly CredentialKind[];

function checkScopes(principal: AuthenticatedPrincipal, policy: RoutePolicy): void {
  if (principal.kind === 'session' || !policy.scopes) return;
  if (principal.scopes.length === 0) {
    throw new AppError('NO_SCOPES_AVAILABLE', 'This token carries no scopes');
  }
  const required = policy.scopes.anyOf;
  if (required.some((scope) => principal.scopes.includes(scope))) return;
  const code = principal.kind === 'api_key' ? 'API_KEY_MISSING_SCOPES' : 'INSUFFICIENT_PERMISSIONS';
  throw new AppError(code, `This token lacks a required scope: ${required.join(' or ')}`, { requiredScopes: required });
}

function checkOrganizationPin(principal: AuthenticatedPrincipal, organizationId: string | undefined): void {
  if (!organizationId) throw new AppError('TENANT_CONTEXT_MISSING', 'This route needs an organization id in its path');
  if (principal.organizationId && principal.organizationId !== organizationId) {
    throw new AppError('FORBIDDEN', 'This API key is pinned to another organization');
  }
}
