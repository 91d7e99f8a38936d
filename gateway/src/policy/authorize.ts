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

/** Why a credential was refused a route, as the audit log's `api_key.denied` names it. */
export type DenialReason = 'missing_scope' | 'pinned_elsewhere' | 'account_wide' | 'credential_kind' | 'no_scopes';

export interface Refusal {
  error: AppError;
  /** Absent for a refusal that says nothing about the credential (a route without its organization id). */
  reason?: DenialReason;
}

/**
 * The token-scope half of authorization (roles are the services' half):
 * - a session holds every scope;
 * - a PAT or OAuth token needs at least one of the route's scopes;
 * - a PAT pinned to an organization may only touch that organization's tenant routes;
 * - a route may admit only some credential kinds (third-party apps cannot manage OAuth apps).
 */
export function authorize(principal: AuthenticatedPrincipal | DirectoryPrincipal, match: RouteMatch): void {
  const refusal = refusalOf(principal, match);
  if (refusal) throw refusal.error;
}

/** What `authorize` would throw, with the reason, or null when the credential may call the route. */
export function refusalOf(principal: AuthenticatedPrincipal | DirectoryPrincipal, match: RouteMatch): Refusal | null {
  const { policy, params } = match;
  // A SCIM token reaches only the routes that name it (its directory's /scim/v2); no route admits it by default.
  const admitted: readonly CredentialKind[] = policy.credentials ?? PERSON_CREDENTIALS;
  if (!admitted.includes(principal.kind)) {
    return refused(
      'credential_kind',
      new AppError('FORBIDDEN', `This route cannot be called with ${CREDENTIAL_NAMES[principal.kind]}`),
    );
  }
  if (principal.kind === 'scim') return null;
  if (policy.accountWide && principal.kind !== 'session' && principal.organizationId) {
    return refused(
      'account_wide',
      new AppError('FORBIDDEN', 'A credential pinned to an organization cannot act on the whole account'),
    );
  }
  return scopeRefusal(principal, policy) ?? (policy.tenant ? pinRefusal(principal, params.organizationId) : null);
}

const PERSON_CREDENTIALS = ['session', 'api_key', 'oauth'] as const satisfies readonly CredentialKind[];

function refused(reason: DenialReason | undefined, error: AppError): Refusal {
  return reason ? { error, reason } : { error };
}

function scopeRefusal(principal: AuthenticatedPrincipal, policy: RoutePolicy): Refusal | null {
  if (principal.kind === 'session' || !policy.scopes) return null;
  if (principal.scopes.length === 0) {
    return refused('no_scopes', new AppError('NO_SCOPES_AVAILABLE', 'This token carries no scopes'));
  }
  const required = policy.scopes.anyOf;
  if (required.some((scope) => principal.scopes.includes(scope))) return null;
  const code = principal.kind === 'api_key' ? 'API_KEY_MISSING_SCOPES' : 'INSUFFICIENT_PERMISSIONS';
  return refused(
    'missing_scope',
    new AppError(code, `This token lacks a required scope: ${required.join(' or ')}`, { requiredScopes: required }),
  );
}

function pinRefusal(principal: AuthenticatedPrincipal, organizationId: string | undefined): Refusal | null {
  if (!organizationId) {
    return refused(
      undefined,
      new AppError('TENANT_CONTEXT_MISSING', 'This route needs an organization id in its path'),
    );
  }
  if (principal.organizationId && principal.organizationId !== organizationId) {
    return refused('pinned_elsewhere', new AppError('FORBIDDEN', 'This API key is pinned to another organization'));
  }
  return null;
}
