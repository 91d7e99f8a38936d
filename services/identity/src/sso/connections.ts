import {
  AppError,
  EVENT_SUBJECTS,
  newId,
  notFound,
  SSO_CERTIFICATE_WARNING_DAYS,
  type SsoConnectionKind,
  validationError,
} from '@gatehouse/contracts';
import {
  type Changes,
  createdWith,
  fieldChanges,
  findPage,
  type PageRequest,
  recordActivity,
  type TenantAccess,
} from '@gatehouse/service-kit';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { apiAudience, commit, type IdentityContext, readEm } from '../context.js';
import { type ConnectionInput, connectionColumns } from './connection-input.js';
import { type SsoConnection, SsoConnectionSchema, SsoIdentitySchema } from './entities.js';
import { readCertificate } from './metadata-input.js';

const DAY_MS = 24 * 3600 * 1000;

export const connectionETag = (connection: SsoConnection) => `W/"${connection.version}"`;

/** Our side's values for the IdP's form. */
export function serviceProviderOf(ctx: IdentityContext, connectionId: string) {
  const base = apiAudience(ctx);
  return {
    entityId: `${base}/api/auth/sso/saml/${connectionId}/metadata`,
    acsUrl: `${base}/api/auth/sso/saml/${connectionId}/acs`,
    metadataUrl: `${base}/api/auth/sso/saml/${connectionId}/metadata`,
    oidcRedirectUri: `${base}/api/auth/sso/callback`,
  };
}

function presentCertificate(pem: string, now: Date) {
  const facts = readCertificate(pem);
  return {
    pem: facts.pem,
    fingerprint: facts.fingerprint,
    subject: facts.subject,
    notBefore: facts.notBefore.toISOString(),
    notAfter: facts.notAfter.toISOString(),
    expired: facts.notAfter <= now,
    expiresSoon: facts.notAfter.getTime() - now.getTime() < SSO_CERTIFICATE_WARNING_DAYS * DAY_MS,
  };
}

/** Every field but the client secret, which is never answered (only that one is stored). */
export function presentConnection(ctx: IdentityContext, connection: SsoConnection, now = new Date()) {
  return {
    id: connection.id,
    organizationId: connection.organizationId,
    type: connection.type,
    name: connection.name,
    enabled: connection.enabled,
    domains: connection.domains,
    defaultRole: connection.defaultRole as 'admin' | 'member',
    roleMapping: connection.roleMapping.map(({ attribute, value, role }) => ({
      attribute,
      value,
      role: role as 'admin' | 'member',
    })),
    ssoRequired: connection.ssoRequired,
    allowIdpInitiated: connection.allowIdpInitiated,
    idpEntityId: connection.samlIdpEntityId,
    idpSsoUrl: connection.samlIdpSsoUrl,
    idpCertificates: connection.samlIdpCertificates.map((certificate) => presentCertificate(certificate.pem, now)),
    issuer: connection.oidcIssuer,
    clientId: connection.oidcClientId,
    hasClientSecret: connection.oidcClientSecret !== null,
    serviceProvider: serviceProviderOf(ctx, connection.id),
    createdAt: connection.createdAt.toISOString(),
    updatedAt: connection.updatedAt.toISOString(),
  };
}

/** What a connection's record may show of it: everything but the OIDC client secret (and certificates as fingerprints). */
function shownFields(connection: SsoConnection) {
  return {
    type: connection.type,
    name: connection.name,
    enabled: connection.enabled,
    domains: connection.domains,
    defaultRole: connection.defaultRole,
    roleMapping: connection.roleMapping,
    ssoRequired: connection.ssoRequired,
    allowIdpInitiated: connection.allowIdpInitiated,
    idpEntityId: connection.samlIdpEntityId,
    idpSsoUrl: connection.samlIdpSsoUrl,
    idpCertificates: connection.samlIdpCertificates.map((certificate) => readCertificate(certificate.pem).fingerprint),
    issuer: connection.oidcIssuer,
    clientId: connection.oidcClientId,
  };
}
const SHOWN_FIELDS: readonly (keyof ReturnType<typeof shownFields>)[] = [
  'type',
  'name',
  'enabled',
  'domains',
  'defaultRole',
  'roleMapping',
  'ssoRequired',
  'allowIdpInitiated',
  'idpEntityId',
  'idpSsoUrl',
  'idpCertificates',
  'issuer',
  'clientId',
];

/** The organization's log, in the caller's transaction. */
function recordConnectionActivity(
  em: EntityManager,
  action: 'sso_connection.created' | 'sso_connection.updated' | 'sso_connection.deleted',
  connection: SsoConnection,
  changes?: Changes,
): void {
  recordActivity(em, EVENT_SUBJECTS.identityActivity, {
    action,
    organizationId: connection.organizationId,
    userId: null,
    target: { type: 'sso_connection', id: connection.id, name: connection.name },
    ...(changes && { changes }),
  });
}

/** Before → after of the shown fields; a new client secret is named as changed, never shown. */
function connectionChanges(before: SsoConnection, after: SsoConnection): Changes | undefined {
  const changes = fieldChanges(shownFields(before), shownFields(after), SHOWN_FIELDS) ?? {};
  if (before.oidcClientSecret !== after.oidcClientSecret) {
    changes.clientSecret = { after: after.oidcClientSecret === null ? 'removed' : 'replaced' };
  }
  return Object.keys(changes).length > 0 ? changes : undefined;
}

async function columnsOrThrow(
  ctx: IdentityContext,
  em: EntityManager,
  organizationId: string,
  type: SsoConnectionKind,
  input: ConnectionInput,
  creating: boolean,
) {
  const { columns, errors } = await connectionColumns(
    em,
    organizationId,
    type,
    input,
    ctx.config.SSO_SECRET_KEY,
    creating,
    ctx.config.SSO_ALLOW_PRIVATE_IDP,
  );
  if (errors.length > 0) throw validationError(errors);
  return columns;
}

export async function createConnection(
  ctx: IdentityContext,
  tenant: TenantAccess,
  input: ConnectionInput & { type: SsoConnectionKind; name: string },
) {
  const connection = await commit(ctx, async (em) => {
    const { type, ...settings } = input;
    const columns = await columnsOrThrow(ctx, em, tenant.organizationId, type, settings, true);
    const now = new Date();
    const row: SsoConnection = {
      id: newId(),
      organizationId: tenant.organizationId,
      type,
      name: input.name,
      enabled: true,
      domains: [],
      defaultRole: 'member',
      roleMapping: [],
      ssoRequired: false,
      allowIdpInitiated: false,
      samlIdpEntityId: null,
      samlIdpSsoUrl: null,
      samlIdpCertificates: [],
      oidcIssuer: null,
      oidcClientId: null,
      oidcClientSecret: null,
      ...columns,
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    em.create(SsoConnectionSchema, row);
    recordConnectionActivity(em, 'sso_connection.created', row, createdWith(shownFields(row)));
    return row;
  });
  return { connection: presentConnection(ctx, connection), etag: connectionETag(connection) };
}

export async function listConnections(ctx: IdentityContext, tenant: TenantAccess, query: PageRequest) {
  const page = await findPage(readEm(ctx), SsoConnectionSchema, { organizationId: tenant.organizationId }, query, {
    sortable: { createdAt: 'date', name: 'string' },
    defaultSort: 'createdAt',
  });
  return { items: page.items.map((connection) => presentConnection(ctx, connection)), meta: page.meta };
}

async function connectionOf(em: EntityManager, tenant: TenantAccess, connectionId: string, lock = false) {
  const connection = await em.findOne(
    SsoConnectionSchema,
    { id: connectionId, organizationId: tenant.organizationId },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!connection) throw notFound('SSO connection not found');
  return connection;
}

export async function getConnection(ctx: IdentityContext, tenant: TenantAccess, connectionId: string) {
  const connection = await connectionOf(readEm(ctx), tenant, connectionId);
  return { connection: presentConnection(ctx, connection), etag: connectionETag(connection) };
}

/** If-Match lists one or more ETags (weak or strong form) or `*`. */
function matchesETag(ifMatch: string, connection: SsoConnection): boolean {
  const tags = ifMatch.split(',').map((tag) => tag.trim());
  return tags.some((tag) => tag === '*' || tag === connectionETag(connection) || tag === `"${connection.version}"`);
}

/** Who the connection trusts: its OIDC issuer or SAML IdP entity id. */
const idpOf = (connection: SsoConnection) => `${connection.oidcIssuer ?? ''}\n${connection.samlIdpEntityId ?? ''}`;

/**
 * Account links are (connection, IdP subject): a subject means someone only at the IdP that issued it.
 * Another IdP's subjects would land on the old IdP's people, so its links go with the old IdP, and each
 * person links again on their next sign-in, under the rules of a first one.
 */
async function forgetLinks(em: EntityManager, connectionId: string): Promise<void> {
  await em.nativeDelete(SsoIdentitySchema, { connectionId });
}

export async function updateConnection(
  ctx: IdentityContext,
  tenant: TenantAccess,
  connectionId: string,
  input: ConnectionInput,
  ifMatch: string | undefined,
) {
  const connection = await commit(ctx, async (em) => {
    const found = await connectionOf(em, tenant, connectionId, true);
    if (ifMatch !== undefined && !matchesETag(ifMatch, found)) {
      throw new AppError('PRECONDITION_FAILED', 'The connection changed since you read it', {
        currentETag: connectionETag(found),
      });
    }
    const columns = await columnsOrThrow(ctx, em, tenant.organizationId, found.type, input, false);
    const before = { ...found };
    Object.assign(found, columns, { updatedAt: new Date(), version: found.version + 1 });
    if (idpOf(found) !== idpOf(before)) await forgetLinks(em, found.id);
    const changes = connectionChanges(before, found);
    if (changes) recordConnectionActivity(em, 'sso_connection.updated', found, changes);
    return found;
  });
  return { connection: presentConnection(ctx, connection), etag: connectionETag(connection) };
}

/** Linked identities and started sign-ins go with it (foreign keys cascade); the accounts stay. */
export async function deleteConnection(ctx: IdentityContext, tenant: TenantAccess, connectionId: string) {
  await commit(ctx, async (em) => {
    const connection = await connectionOf(em, tenant, connectionId, true);
    await em.nativeDelete(SsoConnectionSchema, { id: connection.id });
    recordConnectionActivity(em, 'sso_connection.deleted', connection);
  });
}
