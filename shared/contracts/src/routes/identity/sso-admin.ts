import { Type } from 'typebox';
import { listQuerySchema } from '../../pagination.js';
import { NoData, Nullable, OrganizationParams, Timestamp, Ulid } from '../common.js';
import type { RouteContract } from '../contract.js';
import { defineRoutes } from '../contract.js';
import { CREDENTIAL_MANAGERS } from './schemas.js';

/** Enterprise SSO administration: an organization's connections to its identity providers, and its domains. */

export const SSO_CONNECTION_TYPES = ['saml', 'oidc'] as const;
export type SsoConnectionKind = (typeof SSO_CONNECTION_TYPES)[number];
/** Roles an IdP may hand out: never owner (owners are made by people, and keep the break-glass path). */
export const SSO_ROLES = ['admin', 'member'] as const;
export type SsoRole = (typeof SSO_ROLES)[number];
/** A certificate expiring within this many days is flagged `expiresSoon`. */
export const SSO_CERTIFICATE_WARNING_DAYS = 30;

const ConnectionType = Type.Unsafe<SsoConnectionKind>({ type: 'string', enum: [...SSO_CONNECTION_TYPES] });
const SsoRoleName = Type.Unsafe<SsoRole>({ type: 'string', enum: [...SSO_ROLES] });
const ConnectionName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
/** Checked and normalised by identity (lower-case, IDN to punycode, no trailing dot): it names the field when wrong. */
const DomainName = Type.String({ minLength: 1, maxLength: 254 });
const Url = Type.String({ minLength: 1, maxLength: 2000 });

const RoleMappingRule = Type.Object(
  {
    /** An IdP attribute (SAML) or claim (OIDC), e.g. `groups`. */
    attribute: Type.String({ minLength: 1, maxLength: 100 }),
    /** One of its values, matched exactly. */
    value: Type.String({ minLength: 1, maxLength: 500 }),
    role: SsoRoleName,
  },
  { additionalProperties: false },
);
const RoleMapping = Type.Array(RoleMappingRule, { maxItems: 50 });

const ConnectionSettings = {
  name: ConnectionName,
  enabled: Type.Boolean(),
  /** Email domains the connection serves: domains of this organization; it routes people only once they are verified. */
  domains: Type.Array(DomainName, { maxItems: 50 }),
  defaultRole: SsoRoleName,
  roleMapping: RoleMapping,
  ssoRequired: Type.Boolean(),
  allowIdpInitiated: Type.Boolean(),
  // SAML: the IdP's metadata document, or its fields one by one.
  idpMetadataXml: Type.String({ minLength: 1, maxLength: 500_000 }),
  idpEntityId: Type.String({ minLength: 1, maxLength: 1000 }),
  idpSsoUrl: Url,
  /** PEM (or the bare base64 an IdP's console shows); several during a rotation. */
  idpCertificates: Type.Array(Type.String({ minLength: 1, maxLength: 20_000 }), { minItems: 1, maxItems: 10 }),
  // OIDC
  issuer: Url,
  clientId: Type.String({ minLength: 1, maxLength: 255 }),
  clientSecret: Type.String({ minLength: 1, maxLength: 1000 }),
};
const optional = <K extends keyof typeof ConnectionSettings>(key: K) => Type.Optional(ConnectionSettings[key]);

/** Every setting but the protocol and the name: optional when creating and when changing alike. */
const optionalSettings = {
  enabled: optional('enabled'),
  domains: optional('domains'),
  defaultRole: optional('defaultRole'),
  roleMapping: optional('roleMapping'),
  ssoRequired: optional('ssoRequired'),
  allowIdpInitiated: optional('allowIdpInitiated'),
  idpMetadataXml: optional('idpMetadataXml'),
  idpEntityId: optional('idpEntityId'),
  idpSsoUrl: optional('idpSsoUrl'),
  idpCertificates: optional('idpCertificates'),
  issuer: optional('issuer'),
  clientId: optional('clientId'),
  clientSecret: optional('clientSecret'),
};

const CreateConnectionBody = Type.Object(
  { type: ConnectionType, name: ConnectionSettings.name, ...optionalSettings },
  { additionalProperties: false },
);

const UpdateConnectionBody = Type.Object(
  { name: optional('name'), ...optionalSettings },
  { additionalProperties: false, minProperties: 1 },
);

const IdpCertificateAnswer = Type.Object(
  {
    pem: Type.String(),
    /** SHA-256 fingerprint, colon-separated hex (as IdP consoles show it). */
    fingerprint: Type.String(),
    subject: Type.String(),
    notBefore: Timestamp,
    notAfter: Timestamp,
    expired: Type.Boolean(),
    /** Expired, or expiring within 30 days: add the IdP's next certificate now. */
    expiresSoon: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** Our side's values, to copy into the IdP's configuration. */
const ServiceProvider = Type.Object(
  {
    entityId: Type.String(),
    acsUrl: Type.String(),
    metadataUrl: Type.String(),
    oidcRedirectUri: Type.String(),
  },
  { additionalProperties: false },
);

export const SsoConnection = Type.Object(
  {
    id: Ulid,
    organizationId: Ulid,
    type: ConnectionType,
    name: Type.String(),
    enabled: Type.Boolean(),
    domains: Type.Array(Type.String()),
    defaultRole: SsoRoleName,
    roleMapping: RoleMapping,
    ssoRequired: Type.Boolean(),
    allowIdpInitiated: Type.Boolean(),
    /** SAML fields; null on an OIDC connection. */
    idpEntityId: Nullable(Type.String()),
    idpSsoUrl: Nullable(Type.String()),
    /** Empty on an OIDC connection. */
    idpCertificates: Type.Array(IdpCertificateAnswer),
    /** OIDC fields; null on a SAML connection. The client secret is never answered. */
    issuer: Nullable(Type.String()),
    clientId: Nullable(Type.String()),
    hasClientSecret: Type.Boolean(),
    serviceProvider: ServiceProvider,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

export const OrganizationDomain = Type.Object(
  {
    id: Ulid,
    organizationId: Ulid,
    domain: Type.String(),
    verified: Type.Boolean(),
    verifiedAt: Nullable(Timestamp),
    /** The DNS record to publish; verification looks it up. */
    verification: Type.Object(
      {
        type: Type.Literal('TXT'),
        name: Type.String(),
        value: Type.String(),
      },
      { additionalProperties: false },
    ),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);

const ConnectionParams = Type.Object({ organizationId: Ulid, connectionId: Ulid }, { additionalProperties: false });
const DomainParams = Type.Object({ organizationId: Ulid, domainId: Ulid }, { additionalProperties: false });

const CONNECTIONS = '/api/user/organizations/:organizationId/sso-connections';
const DOMAINS = '/api/user/organizations/:organizationId/domains';
const ETAG = { etag: 'The connection version, for If-Match on the next update' } as const;

/**
 * Every route here: owners only (`organization:manage-security`), with a session or a key, never an
 * OAuth token (an app must not be able to reroute an organization's sign-in).
 */
const admin = {
  upstream: 'identity',
  auth: 'required',
  credentials: CREDENTIAL_MANAGERS,
  permission: 'organization:manage-security',
} as const satisfies Partial<RouteContract>;
const reading = { ...admin, scopes: ['organizations:read'] } as const;
const writing = { ...admin, scopes: ['organizations:write'] } as const;

export const SSO_ADMIN_ROUTES = defineRoutes({
  listSsoConnections: {
    ...reading,
    method: 'GET',
    path: CONNECTIONS,
    tag: 'SSO connections',
    summary: "List the organization's SSO connections",
    params: OrganizationParams,
    query: listQuerySchema({ sort: ['createdAt', 'name'] }),
    response: { status: 200, data: SsoConnection, list: true },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  createSsoConnection: {
    ...writing,
    method: 'POST',
    path: CONNECTIONS,
    tag: 'SSO connections',
    summary: 'Add a SAML 2.0 or OIDC connection to the organization’s identity provider',
    description:
      'SAML: `idpMetadataXml`, or `idpEntityId`, `idpSsoUrl` and `idpCertificates` (PEM; several during a rotation). OIDC: `issuer`, `clientId`, `clientSecret` (sealed at rest, never answered). URLs must be https (http only for a loopback host). `domains` must be domains of this organization (`POST …/domains`); people are routed to the connection only for verified ones. `roleMapping` rules are tried in order; the first whose attribute holds the value gives the role, else `defaultRole`. The answer’s `serviceProvider` holds the values to copy into the IdP.',
    params: OrganizationParams,
    body: CreateConnectionBody,
    response: { status: 201, data: SsoConnection, headers: ETAG },
    errors: ['INSUFFICIENT_PERMISSIONS', 'MFA_REQUIRED'],
  },
  getSsoConnection: {
    ...reading,
    method: 'GET',
    path: `${CONNECTIONS}/:connectionId`,
    tag: 'SSO connections',
    summary: 'Read an SSO connection',
    params: ConnectionParams,
    response: { status: 200, data: SsoConnection, headers: ETAG },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  updateSsoConnection: {
    ...writing,
    method: 'PUT',
    path: `${CONNECTIONS}/:connectionId`,
    tag: 'SSO connections',
    summary: 'Change an SSO connection',
    description:
      'Only the fields sent change; the type cannot. `idpCertificates` replaces the whole list (send the old and the new one during a rotation). `clientSecret` absent keeps the stored one. Send the ETag as If-Match so a concurrent change is refused (412) instead of overwritten.',
    params: ConnectionParams,
    headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
    body: UpdateConnectionBody,
    response: { status: 200, data: SsoConnection, headers: ETAG },
    errors: ['INSUFFICIENT_PERMISSIONS', 'PRECONDITION_FAILED', 'MFA_REQUIRED'],
  },
  deleteSsoConnection: {
    ...writing,
    method: 'DELETE',
    path: `${CONNECTIONS}/:connectionId`,
    tag: 'SSO connections',
    summary: 'Delete an SSO connection',
    description:
      'Sign-ins through it stop at once, and the accounts it linked are unlinked (they stay, with their memberships).',
    params: ConnectionParams,
    response: { status: 200, data: NoData },
    errors: ['INSUFFICIENT_PERMISSIONS', 'MFA_REQUIRED'],
  },
  listOrganizationDomains: {
    ...reading,
    method: 'GET',
    path: DOMAINS,
    tag: 'SSO connections',
    summary: "List the organization's email domains",
    params: OrganizationParams,
    query: listQuerySchema({ sort: ['createdAt', 'domain'] }),
    response: { status: 200, data: OrganizationDomain, list: true },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  addOrganizationDomain: {
    ...writing,
    method: 'POST',
    path: DOMAINS,
    tag: 'SSO connections',
    summary: 'Claim an email domain; the answer is the DNS TXT record that proves it',
    description:
      'Publish `verification.value` as a TXT record at `verification.name`, then call verify. A domain another organization has verified cannot be claimed (409 `DOMAIN_TAKEN`).',
    params: OrganizationParams,
    body: Type.Object({ domain: DomainName }, { additionalProperties: false }),
    response: { status: 201, data: OrganizationDomain },
    errors: ['INSUFFICIENT_PERMISSIONS', 'CONFLICT'],
  },
  verifyOrganizationDomain: {
    ...writing,
    method: 'POST',
    path: `${DOMAINS}/:domainId/verify`,
    tag: 'SSO connections',
    summary: "Check the domain's DNS TXT record and mark the domain verified",
    description:
      'Without the record (or with another value) the domain stays unverified: 409 `DOMAIN_NOT_VERIFIED` (what was found is in `meta.found`); an unanswered lookup is 409 `DNS_LOOKUP_FAILED`. A domain verified meanwhile by another organization: 409 `DOMAIN_TAKEN`. Verifying a verified domain answers it as it is.',
    params: DomainParams,
    response: { status: 200, data: OrganizationDomain },
    errors: ['INSUFFICIENT_PERMISSIONS', 'CONFLICT'],
  },
  deleteOrganizationDomain: {
    ...writing,
    method: 'DELETE',
    path: `${DOMAINS}/:domainId`,
    tag: 'SSO connections',
    summary: 'Remove an email domain',
    description: 'Refused while a connection serves it (409 `DOMAIN_IN_USE`): take it out of the connection first.',
    params: DomainParams,
    response: { status: 200, data: NoData },
    errors: ['INSUFFICIENT_PERMISSIONS', 'CONFLICT', 'MFA_REQUIRED'],
  },
});
