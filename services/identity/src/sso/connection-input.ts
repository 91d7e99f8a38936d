import type { FieldError, SsoRole } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { normalizeDomain, unknownDomains } from './domains.js';
import type { IdpCertificate, RoleMappingRule, SsoConnection, SsoConnectionType } from './entities.js';
import { InputProblem, parseIdpMetadata, readCertificate } from './metadata-input.js';
import { outboundUrlProblem } from './outbound-url.js';
import { type SecretKey, sealSecret } from './secrets.js';

/** A create or update body (contracts' sso-admin.ts), every field optional here. */
export interface ConnectionInput {
  name?: string;
  enabled?: boolean;
  domains?: string[];
  defaultRole?: SsoRole;
  roleMapping?: RoleMappingRule[];
  ssoRequired?: boolean;
  allowIdpInitiated?: boolean;
  idpMetadataXml?: string;
  idpEntityId?: string;
  idpSsoUrl?: string;
  idpCertificates?: string[];
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
}

const SAML_FIELDS = ['idpMetadataXml', 'idpEntityId', 'idpSsoUrl', 'idpCertificates'] as const;
const OIDC_FIELDS = ['issuer', 'clientId', 'clientSecret'] as const;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * https, or http for a loopback host (a local IdP); no credentials or fragment. Null when fine.
 * For URLs the browser is sent to (the SAML SSO URL); what identity fetches is checked by outbound-url.ts.
 */
export function idpUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    return 'must be an https URL (http only for a loopback host)';
  }
  if (url.username || url.password || url.hash) return 'must not carry credentials or a fragment';
  return null;
}

/** Collects field errors while the settings are read, so one answer names every wrong field. */
class Problems {
  readonly errors: FieldError[] = [];
  add(field: string, error: string) {
    this.errors.push({ field, error, location: 'body' });
  }
}

/**
 * The columns a create (`existing` null) or an update sets from its body: metadata parsed,
 * certificates read, URLs and domains checked, the client secret sealed. Field errors are returned,
 * not thrown, so the caller answers them all at once.
 */
export async function connectionColumns(
  em: EntityManager,
  organizationId: string,
  type: SsoConnectionType,
  input: ConnectionInput,
  secretKey: SecretKey,
  creating: boolean,
  allowPrivateIdp: boolean,
): Promise<{ columns: Partial<SsoConnection>; errors: FieldError[] }> {
  const problems = new Problems();
  const columns: Partial<SsoConnection> = {};
  for (const key of ['name', 'enabled', 'defaultRole', 'roleMapping', 'ssoRequired', 'allowIdpInitiated'] as const) {
    if (input[key] !== undefined) Object.assign(columns, { [key]: input[key] });
  }
  const foreign = type === 'saml' ? OIDC_FIELDS : SAML_FIELDS;
  for (const field of foreign) {
    if (input[field] !== undefined) problems.add(field, `is not a setting of a ${type.toUpperCase()} connection`);
  }
  if (type === 'saml') Object.assign(columns, samlColumns(input, problems, creating));
  else Object.assign(columns, await oidcColumns(input, problems, creating, secretKey, allowPrivateIdp));
  if (input.domains) columns.domains = await domainColumns(em, organizationId, input.domains, problems);
  return { columns, errors: problems.errors };
}

function samlColumns(input: ConnectionInput, problems: Problems, creating: boolean): Partial<SsoConnection> {
  const columns: Partial<SsoConnection> = {};
  let entityId = input.idpEntityId;
  let ssoUrl = input.idpSsoUrl;
  let certificates = input.idpCertificates;
  let certificateField = 'idpCertificates';
  let urlField = 'idpSsoUrl';
  if (input.idpMetadataXml !== undefined) {
    if (entityId !== undefined || ssoUrl !== undefined || certificates !== undefined) {
      problems.add('idpMetadataXml', 'send the metadata or idpEntityId, idpSsoUrl and idpCertificates, not both');
      return columns;
    }
    try {
      const metadata = parseIdpMetadata(input.idpMetadataXml);
      ({ entityId, ssoUrl, certificates } = metadata);
      certificateField = urlField = 'idpMetadataXml';
    } catch (error) {
      if (!(error instanceof InputProblem)) throw error;
      problems.add('idpMetadataXml', error.message);
      return columns;
    }
  } else if (creating) {
    for (const [field, value] of [
      ['idpEntityId', entityId],
      ['idpSsoUrl', ssoUrl],
      ['idpCertificates', certificates],
    ] as const) {
      if (value === undefined) problems.add(field, 'is required for a SAML connection (or send idpMetadataXml)');
    }
  }
  if (entityId !== undefined) columns.samlIdpEntityId = entityId;
  if (ssoUrl !== undefined) {
    const problem = idpUrlProblem(ssoUrl);
    if (problem) problems.add(urlField, urlField === 'idpSsoUrl' ? problem : `its SSO URL ${problem}`);
    columns.samlIdpSsoUrl = ssoUrl;
  }
  if (certificates !== undefined)
    columns.samlIdpCertificates = readCertificates(certificates, certificateField, problems);
  return columns;
}

function readCertificates(texts: string[], field: string, problems: Problems): IdpCertificate[] {
  const certificates: IdpCertificate[] = [];
  texts.forEach((text, index) => {
    try {
      const { pem, notAfter } = readCertificate(text);
      certificates.push({ pem, notAfter: notAfter.toISOString() });
    } catch (error) {
      if (!(error instanceof InputProblem)) throw error;
      problems.add(field === 'idpCertificates' ? `idpCertificates/${index}` : field, error.message);
    }
  });
  return certificates;
}

async function oidcColumns(
  input: ConnectionInput,
  problems: Problems,
  creating: boolean,
  secretKey: SecretKey,
  allowPrivateIdp: boolean,
): Promise<Partial<SsoConnection>> {
  const columns: Partial<SsoConnection> = {};
  if (creating) {
    for (const field of OIDC_FIELDS) {
      if (input[field] === undefined) problems.add(field, 'is required for an OIDC connection');
    }
  }
  if (input.issuer !== undefined) {
    // Identity fetches the issuer itself (discovery, keys, tokens): checked on where it resolves to.
    const problem = await outboundUrlProblem(input.issuer, allowPrivateIdp);
    if (problem) problems.add('issuer', problem);
    columns.oidcIssuer = input.issuer;
  }
  if (input.clientId !== undefined) columns.oidcClientId = input.clientId;
  if (input.clientSecret !== undefined) columns.oidcClientSecret = sealSecret(secretKey, input.clientSecret);
  return columns;
}

async function domainColumns(
  em: EntityManager,
  organizationId: string,
  inputs: string[],
  problems: Problems,
): Promise<string[]> {
  const domains: string[] = [];
  inputs.forEach((input, index) => {
    const domain = normalizeDomain(input);
    if (!domain) problems.add(`domains/${index}`, 'must be a domain name like example.com');
    else if (!domains.includes(domain)) domains.push(domain);
  });
  const unknown = new Set(await unknownDomains(em, organizationId, domains));
  inputs.forEach((input, index) => {
    const domain = normalizeDomain(input);
    if (domain && unknown.has(domain)) {
      problems.add(`domains/${index}`, 'is not a domain of this organization: add it under /domains first');
    }
  });
  return domains;
}
