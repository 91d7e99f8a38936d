import type { TokenScope } from './scopes.js';

export type CredentialKind = 'session' | 'api_key' | 'oauth';

/**
 * Who is calling, as the gateway resolved it. Services receive it inside a signed,
 * short-lived token and never trust any other header for identity.
 */
export interface AuthenticatedPrincipal {
  kind: CredentialKind;
  userId: string;
  /** session id, api key id (ak_…), OAuth grant id, or client id for a client-credentials token. */
  credentialId: string;
  /** The OAuth client acting for the user (kind 'oauth' only). */
  clientId?: string;
  scopes: TokenScope[];
  /** Set when a PAT is pinned to one organization. */
  organizationId?: string | null;
  role: 'user' | 'admin';
}

export interface AnonymousPrincipal {
  kind: 'anonymous';
}

export type Principal = AuthenticatedPrincipal | AnonymousPrincipal;

/** The claims carried by the gateway-signed principal token. */
export interface PrincipalClaims {
  principal: Principal;
  requestId: string;
  clientIp: string;
}

export const PRINCIPAL_HEADER = 'x-gatehouse-principal';
export const PRINCIPAL_AUDIENCE = 'gatehouse-services';
export const PRINCIPAL_ISSUER = 'gatehouse-gateway';
/** Headers only the gateway may set; it strips any a client sends. */
export const INTERNAL_HEADER_PREFIX = 'x-gatehouse-';
/**
 * On identity's answer to the gateway: the credential ids revoked while serving the request, so
 * the serving gateway purges them before forwarding the answer. Never reaches a client.
 */
export const REVOKED_CREDENTIALS_HEADER = 'x-gatehouse-revoked';
