import type { TokenScope } from './scopes.js';

/** What a person signs in with or hands to a program. */
export type PersonCredentialKind = 'session' | 'api_key' | 'oauth';
/** Every credential the gateway resolves: a person's, or a directory's SCIM token (docs/scim.md). */
export type CredentialKind = PersonCredentialKind | 'scim';
/** SCIM bearer tokens carry this prefix, so the gateway tells them from OAuth access tokens (and scanners find them). */
export const SCIM_TOKEN_PREFIX = 'gh_scim_';

/**
 * How a session was signed in to (RFC 8176 values, plus `sso` and `email` for a magic link):
 * `pwd` password, `otp` authenticator code or recovery code, `hwk`/`swk` a device-bound or a synced
 * passkey, `mfa` two different kinds proven (or a passkey with user verification).
 */
export type Amr = 'pwd' | 'otp' | 'hwk' | 'swk' | 'mfa' | 'sso' | 'email';
export const AMR_VALUES: readonly Amr[] = ['pwd', 'otp', 'hwk', 'swk', 'mfa', 'sso', 'email'];

/**
 * Who is calling, as the gateway resolved it. Services receive it inside a signed,
 * short-lived token and never trust any other header for identity.
 */
export interface AuthenticatedPrincipal {
  kind: PersonCredentialKind;
  userId: string;
  /** session id, api key id (ak_…), OAuth grant id, or client id for a client-credentials token. */
  credentialId: string;
  /** The OAuth client acting for the user (kind 'oauth' only). */
  clientId?: string;
  scopes: TokenScope[];
  /** Set when a PAT is pinned to one organization. */
  organizationId?: string | null;
  role: 'user' | 'admin';
  /** How the session was signed in to (sessions only). */
  amr?: Amr[];
  /** Unix seconds of the session's last second-factor proof (sessions only; null: never). */
  secondFactorAt?: number | null;
  /** The account has a confirmed second factor (an authenticator app or a passkey). */
  mfaEnrolled?: boolean;
  /**
   * Organizations the user belongs to whose `mfaRequired` policy this credential does not meet:
   * their tenant routes answer 403 MFA_REQUIRED (service-kit). Optional so a rolling deploy mixes versions.
   */
  mfaBlockedIn?: string[];
  /**
   * Organizations the user belongs to whose subscription has been unpaid past its grace period: their tenant
   * routes refuse writes with 403 SUBSCRIPTION_INACTIVE (service-kit), except the ones that bring it back
   * (billing) or remove things.
   */
  readOnlyIn?: ReadOnlyOrganization[];
}

/** An organization a principal may only read in: since when, and where to pay. */
export interface ReadOnlyOrganization {
  organizationId: string;
  since: string;
  upgradeUrl: string;
}

export interface AnonymousPrincipal {
  kind: 'anonymous';
}

/**
 * A customer's directory (Okta, Entra ID) calling /scim/v2 with its SCIM token: no person, one
 * organization. The gateway admits it only on routes whose contract lists `scim`; services refuse it
 * everywhere else (service-kit `requireUser`).
 */
export interface DirectoryPrincipal {
  kind: 'scim';
  /** The token's id (rotation keeps two for a while). */
  credentialId: string;
  directoryId: string;
  organizationId: string;
}

export type Principal = AuthenticatedPrincipal | DirectoryPrincipal | AnonymousPrincipal;

/**
 * The claims carried by the gateway-signed principal token. No request id: the gateway sends one token with every request of a
 * caller for a few seconds (the request id travels as `x-request-id`).
 */
export interface PrincipalClaims {
  principal: Principal;
  clientIp: string;
  /** The client's User-Agent (cut to 512 characters), for the audit log. */
  userAgent?: string;
}

/** What is kept of a User-Agent header anywhere (principal token, sessions, audit records): its columns' width. */
export const USER_AGENT_MAX_LENGTH = 512;

export const PRINCIPAL_HEADER = 'x-gatehouse-principal';
export const PRINCIPAL_AUDIENCE = 'gatehouse-services';
export const PRINCIPAL_ISSUER = 'gatehouse-gateway';
/** Headers only the gateway may set; it strips any a client sends. */
export const INTERNAL_HEADER_PREFIX = 'x-gatehouse-';
/**
 * On identity's answer to the gateway: the credential ids revoked while serving the request, so
 * the serving gateway purges them before forwarding the answer. Never reaches a client. An id may also be
 * `user:<userId>` (every cached credential of that user: a second factor changed) or `*` (everything: an
 * organization's security settings changed).
 */
export const REVOKED_CREDENTIALS_HEADER = 'x-gatehouse-revoked';
/** In that header: every cached credential of one user (`user:<userId>`). */
export function userCredentialsPurgeId(userId: string): string {
  return `user:${userId}`;
}
/** In that header: every cached credential of every user. */
export const EVERY_CREDENTIAL_PURGE_ID = '*';
