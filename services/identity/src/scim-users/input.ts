import { SCIM_SCHEMAS, ScimUserInput } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import { Value } from 'typebox/value';
import { scimBoolean } from '../scim/booleans.js';
import { ScimError } from '../scim/protocol.js';
import { normalizeAddress } from '../sso/domains.js';

export type ScimUserBody = Static<typeof ScimUserInput>;

/** What one SCIM User becomes: the columns filters and uniqueness use, and the rest as sent. */
export interface ScimUserFields {
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  /** The address the account is found or created by: lower-case, its domain normalised. */
  email: string;
  /** The name a created account gets (and keeps in step while the directory owns it). */
  fullName: string;
  /** Everything else as sent: name, emails, the enterprise extension, attributes we do not model. */
  resource: Record<string, unknown>;
}

/**
 * Never kept in `resource`: what we answer ourselves (id, meta, groups, schemas), what has a column
 * (userName, externalId, active, displayName), and `password` — a directory's password is not ours to hold.
 */
const NOT_KEPT = new Set([
  'id',
  'meta',
  'groups',
  'schemas',
  'password',
  'userName',
  'externalId',
  'active',
  'displayName',
]);

const MAX_FULL_NAME = 100;
const MAX_ADDRESS = 254;

/**
 * `activeIfMissing`: true on create; on PUT and PATCH the stored state, so a write that leaves `active`
 * out (or a PATCH removing it) never reactivates a deprovisioned person.
 */
export function readUserInput(body: ScimUserBody, activeIfMissing = true): ScimUserFields {
  const resource: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!NOT_KEPT.has(key) && value !== undefined) resource[key] = withBooleanPrimaries(value);
  }
  const userName = body.userName.trim();
  if (!userName) throw new ScimError(400, 'userName: must not be blank', 'invalidValue');
  const displayName = text(body.displayName);
  const email = addressOf(body);
  return {
    userName,
    externalId: text(body.externalId),
    active: body.active === undefined ? activeIfMissing : scimBoolean(body.active, 'active'),
    displayName,
    givenName: text(body.name?.givenName),
    familyName: text(body.name?.familyName),
    email,
    fullName: accountName(displayName, body.name, email),
    resource,
  };
}

/**
 * A resource after a PATCH is checked as a PUT body would be: the engine applies paths, not the schema
 * (a `remove` of userName, a string where an object belongs).
 */
export function checkUserBody(candidate: Record<string, unknown>): ScimUserBody {
  const [first] = Value.Errors(ScimUserInput, candidate);
  if (first) {
    const field = first.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'User';
    throw new ScimError(400, `${field}: ${first.message}`, 'invalidValue');
  }
  return candidate as ScimUserBody;
}

/** The stored form back as a SCIM User body (what a PATCH applies to). */
export function storedAsBody(row: {
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string | null;
  resource: Record<string, unknown>;
}): Record<string, unknown> {
  const schemas: string[] = [SCIM_SCHEMAS.user];
  if (row.resource[SCIM_SCHEMAS.enterpriseUser] !== undefined) schemas.push(SCIM_SCHEMAS.enterpriseUser);
  return {
    schemas,
    ...row.resource,
    userName: row.userName,
    ...(row.externalId !== null && { externalId: row.externalId }),
    active: row.active,
    ...(row.displayName !== null && { displayName: row.displayName }),
  };
}

/** The parts of a SCIM `name` an account's name is made of. */
export type NameParts = { formatted?: string; givenName?: string; familyName?: string } | undefined;

/** displayName, else name.formatted, else given + family, else the address's local part. */
export function accountName(displayName: string | null, name: NameParts, email: string): string {
  const parts = [text(name?.givenName), text(name?.familyName)].filter(Boolean).join(' ');
  const chosen = displayName ?? text(name?.formatted) ?? (parts || null) ?? email.split('@')[0] ?? email;
  return chosen.slice(0, MAX_FULL_NAME);
}

/** The primary email, else the work one, else the first, else a userName that is an address. */
function addressOf(body: ScimUserBody): string {
  const emails = body.emails ?? [];
  const chosen =
    emails.find((email) => email.primary !== undefined && scimBoolean(email.primary, 'emails.primary')) ??
    emails.find((email) => email.type?.toLowerCase() === 'work') ??
    emails[0];
  const raw = chosen?.value ?? (body.userName.includes('@') ? body.userName : null);
  const address = raw === null ? null : storableAddress(raw);
  if (!address) {
    throw new ScimError(
      400,
      chosen
        ? 'emails: the address is not a single email address'
        : 'emails: an email address (or a userName that is one) is required',
      'invalidValue',
    );
  }
  return address;
}

/** The stored spelling (sso/domains.ts), within what an address column holds: an IDN grows as ASCII. */
function storableAddress(raw: string): string | null {
  const address = normalizeAddress(raw);
  return address && address.length <= MAX_ADDRESS ? address : null;
}

/**
 * Entra ID's `"primary": "True"` in multi-valued attributes (emails, phoneNumbers, addresses…) is kept
 * as the boolean SCIM says it is: clients that read our answers against the schema expect one.
 */
function withBooleanPrimaries(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((item) => {
    if (!item || typeof item !== 'object' || typeof (item as { primary?: unknown }).primary !== 'string') return item;
    const primary = (item as { primary: string }).primary.toLowerCase();
    return primary === 'true' || primary === 'false' ? { ...item, primary: primary === 'true' } : item;
  });
}

function text(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}
