import { SCIM_SCHEMAS } from '@gatehouse/contracts';
import { ScimError } from './protocol.js';

/**
 * PATCH paths as clients write them, made into the keys resources are stored with: attribute names
 * compare case-insensitively (RFC 7644 §3.10), so `username` and `userName` are one attribute, and
 * the core schema's URN prefix means nothing. The enterprise extension stays a key of its own.
 */

/** RFC 7643's spelling of the names clients use (§4.1, §4.2, §4.3, §8.7). */
const CANONICAL = new Map(
  [
    'userName',
    'externalId',
    'displayName',
    'nickName',
    'profileUrl',
    'title',
    'userType',
    'preferredLanguage',
    'locale',
    'timezone',
    'active',
    'name',
    'formatted',
    'familyName',
    'givenName',
    'middleName',
    'honorificPrefix',
    'honorificSuffix',
    'emails',
    'phoneNumbers',
    'ims',
    'photos',
    'addresses',
    'streetAddress',
    'locality',
    'region',
    'postalCode',
    'country',
    'groups',
    'entitlements',
    'roles',
    'x509Certificates',
    'members',
    'value',
    'display',
    'type',
    'primary',
    'employeeNumber',
    'costCenter',
    'organization',
    'division',
    'department',
    'manager',
  ].map((name) => [name.toLowerCase(), name]),
);

const CORE_PREFIXES = [SCIM_SCHEMAS.user, SCIM_SCHEMAS.group].map((urn) => `${urn.toLowerCase()}:`);
const ENTERPRISE = SCIM_SCHEMAS.enterpriseUser;
/** Keys that would reach an object's prototype: never a path. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function refuseForbidden(name: string): void {
  if (FORBIDDEN.has(name.toLowerCase())) throw new ScimError(400, `${name} is not an attribute`, 'invalidPath');
}

export function canonicalName(name: string, existing?: Record<string, unknown>): string {
  refuseForbidden(name);
  const lower = name.toLowerCase();
  const known = CANONICAL.get(lower);
  if (known) return known;
  const present = existing ? Object.keys(existing).find((key) => key.toLowerCase() === lower) : undefined;
  return present ?? name;
}

/** Whether `path` names the enterprise extension object as a whole. */
export function isExtensionPath(path: string): boolean {
  return path.toLowerCase() === ENTERPRISE.toLowerCase();
}

/**
 * `urn:…:core:2.0:User:UserName` → `userName`; `EMAILS[type eq "work"].Value` → `emails[type eq "work"].value`;
 * `urn:…:enterprise:2.0:User:Department` → `urn:…:enterprise:2.0:User:department`. The filter inside
 * brackets is left as written (its names already compare case-insensitively).
 */
export function canonicalPath(path: string, resource: Record<string, unknown>): string {
  const lower = path.toLowerCase();
  const core = CORE_PREFIXES.find((prefix) => lower.startsWith(prefix));
  if (core) return canonicalAttributePath(path.slice(core.length), resource);
  if (lower.startsWith(`${ENTERPRISE.toLowerCase()}:`)) {
    const extension = resource[ENTERPRISE];
    const inner = isRecord(extension) ? extension : undefined;
    return `${ENTERPRISE}:${canonicalAttributePath(path.slice(ENTERPRISE.length + 1), inner)}`;
  }
  // Another extension: kept under its own URN, as written (scim-patch splits it at the last colon).
  if (lower.startsWith('urn:')) {
    for (const part of path.split(/[:.[\]]/)) refuseForbidden(part);
    return path;
  }
  return canonicalAttributePath(path, resource);
}

const ATTRIBUTE_PATH = /^([^.[\]]+)(\[(.*)\])?(?:\.([^.[\]]+))?$/s;

function canonicalAttributePath(path: string, within: Record<string, unknown> | undefined): string {
  const match = ATTRIBUTE_PATH.exec(path);
  if (!match) throw new ScimError(400, `${path} is not a valid attribute path`, 'invalidPath');
  const [, attribute = '', bracket, , sub] = match;
  const name = canonicalName(attribute, within);
  const child = within?.[name];
  const element = Array.isArray(child) ? child.find(isRecord) : isRecord(child) ? child : undefined;
  return `${name}${bracket ?? ''}${sub ? `.${canonicalName(sub, element)}` : ''}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
