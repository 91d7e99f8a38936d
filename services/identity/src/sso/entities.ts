import { ArrayType, EntitySchema } from '@mikro-orm/postgresql';

/** An email domain an organization claims; it routes people to SSO only once verified by DNS TXT. */
export interface OrganizationDomain {
  id: string;
  organizationId: string;
  /** Lower-case, no trailing dot. */
  domain: string;
  /** The random value the organization publishes in `_gatehouse-challenge.<domain>`. */
  verificationToken: string;
  verifiedAt: Date | null;
  /** When a verified domain's record was last looked at again (domain-recheck.ts). */
  checkedAt: Date | null;
  /** Re-checks in a row that found no record; at DOMAIN_RECHECK_FAILURES the domain is unverified. */
  failedChecks: number;
  createdAt: Date;
}

export const OrganizationDomainSchema = new EntitySchema<OrganizationDomain>({
  name: 'OrganizationDomain',
  tableName: 'organization_domains',
  properties: {
    id: { type: 'string', primary: true },
    organizationId: { type: 'string' },
    domain: { type: 'string' },
    verificationToken: { type: 'string', hidden: true },
    verifiedAt: { type: 'Date', nullable: true },
    checkedAt: { type: 'Date', nullable: true },
    failedChecks: { type: 'integer', default: 0 },
    createdAt: { type: 'Date' },
  },
});

export type SsoConnectionType = 'saml' | 'oidc';

/** IdP attribute/claim value → organization role; the first matching rule wins. */
export interface RoleMappingRule {
  attribute: string;
  value: string;
  role: string;
}

/** One IdP signing certificate; several at once allow rotation without downtime. */
export interface IdpCertificate {
  pem: string;
  /** ISO date-time the certificate stops being valid. */
  notAfter: string;
}

export interface SsoConnection {
  id: string;
  organizationId: string;
  type: SsoConnectionType;
  name: string;
  enabled: boolean;
  /** Email domains it serves; people are routed only for those verified for this organization. */
  domains: string[];
  defaultRole: string;
  roleMapping: RoleMappingRule[];
  ssoRequired: boolean;
  allowIdpInitiated: boolean;
  samlIdpEntityId: string | null;
  samlIdpSsoUrl: string | null;
  samlIdpCertificates: IdpCertificate[];
  oidcIssuer: string | null;
  oidcClientId: string | null;
  /** Sealed with SSO_SECRET_KEY (sso/secrets.ts); never answered. */
  oidcClientSecret: string | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

export const SsoConnectionSchema = new EntitySchema<SsoConnection>({
  name: 'SsoConnection',
  tableName: 'sso_connections',
  properties: {
    id: { type: 'string', primary: true },
    organizationId: { type: 'string' },
    type: { type: 'string' },
    name: { type: 'string' },
    enabled: { type: 'boolean' },
    domains: { type: ArrayType },
    defaultRole: { type: 'string' },
    roleMapping: { type: 'json' },
    ssoRequired: { type: 'boolean' },
    allowIdpInitiated: { type: 'boolean' },
    samlIdpEntityId: { type: 'text', nullable: true },
    samlIdpSsoUrl: { type: 'text', nullable: true },
    samlIdpCertificates: { type: 'json' },
    oidcIssuer: { type: 'text', nullable: true },
    oidcClientId: { type: 'text', nullable: true },
    oidcClientSecret: { type: 'text', nullable: true, hidden: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    version: { type: 'integer' },
  },
});

/** An account linked to an IdP subject of one connection (never by email alone). */
export interface SsoIdentity {
  connectionId: string;
  subject: string;
  userId: string;
  createdAt: Date;
  lastSignInAt: Date;
}

export const SsoIdentitySchema = new EntitySchema<SsoIdentity>({
  name: 'SsoIdentity',
  tableName: 'sso_identities',
  properties: {
    connectionId: { type: 'string', primary: true },
    subject: { type: 'text', primary: true },
    userId: { type: 'string' },
    createdAt: { type: 'Date' },
    lastSignInAt: { type: 'Date' },
  },
});

/** One started sign-in, bound to the browser that started it by the state in its cookie. */
export interface SsoLoginRequest {
  id: string;
  /** SHA-256 (hex) of the random state in the browser's cookie. */
  stateHash: string;
  connectionId: string;
  /** The AuthnRequest ID, matched to the response's InResponseTo. */
  samlRequestId: string | null;
  oidcCodeVerifier: string | null;
  oidcNonce: string | null;
  returnTo: string;
  expiresAt: Date;
  usedAt: Date | null;
}

export const SsoLoginRequestSchema = new EntitySchema<SsoLoginRequest>({
  name: 'SsoLoginRequest',
  tableName: 'sso_login_requests',
  properties: {
    id: { type: 'string', primary: true },
    stateHash: { type: 'string', unique: true },
    connectionId: { type: 'string' },
    samlRequestId: { type: 'text', nullable: true },
    oidcCodeVerifier: { type: 'text', nullable: true, hidden: true },
    oidcNonce: { type: 'text', nullable: true },
    returnTo: { type: 'text' },
    expiresAt: { type: 'Date' },
    usedAt: { type: 'Date', nullable: true },
  },
});

/** A SAML assertion id already accepted for a connection; kept until the assertion expires. */
export interface SamlAssertionReplay {
  connectionId: string;
  assertionId: string;
  expiresAt: Date;
}

export const SamlAssertionReplaySchema = new EntitySchema<SamlAssertionReplay>({
  name: 'SamlAssertionReplay',
  tableName: 'saml_assertion_replays',
  properties: {
    connectionId: { type: 'string', primary: true },
    assertionId: { type: 'text', primary: true },
    expiresAt: { type: 'Date' },
  },
});
