import { Type } from 'typebox';
import { RoleSchema } from '../../events.js';
import { listQuerySchema } from '../../pagination.js';
import { NoData, Nullable, OrganizationParams, Timestamp, Ulid } from '../common.js';
import type { RouteContract } from '../contract.js';
import { defineRoutes } from '../contract.js';
import { CREDENTIAL_MANAGERS, PERSON_ONLY } from './schemas.js';

/**
 * Directory sync administration: an organization's SCIM 2.0 directories (docs/scim.md). Each has its
 * own bearer token, shown once, that reaches only /scim/v2 of this organization.
 */

/** A rotation keeps the previous token working for this long by default (the IdP's field is updated meanwhile). */
export const DIRECTORY_TOKEN_OVERLAP_SECONDS = 3600;
export const DIRECTORY_TOKEN_MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

const DirectoryName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const GroupRoleRule = Type.Object(
  {
    /** The directory group's `displayName`, compared case-insensitively. */
    group: Type.String({ minLength: 1, maxLength: 256 }),
    role: RoleSchema,
  },
  { additionalProperties: false },
);
const GroupRoleMapping = Type.Array(GroupRoleRule, { maxItems: 100 });

export const Directory = Type.Object(
  {
    id: Ulid,
    organizationId: Ulid,
    name: Type.String(),
    /** The base URL to copy into the IdP (Okta: "SCIM connector base URL"; Entra ID: "Tenant URL"). */
    scimBaseUrl: Type.String(),
    /** A person's role is the highest role of the mapped groups they are in, else `defaultRole`. */
    defaultRole: RoleSchema,
    roleMapping: GroupRoleMapping,
    /** The first characters of the current token, to tell tokens apart; the token itself is never answered again. */
    tokenStart: Nullable(Type.String()),
    tokenCreatedAt: Nullable(Timestamp),
    /** Until then the token before the last rotation still works. */
    previousTokenExpiresAt: Nullable(Timestamp),
    userCount: Type.Integer(),
    groupCount: Type.Integer(),
    /** The last SCIM request that changed something. */
    lastSyncAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

/** A token is answered only here, once: stored as a hash. */
export const DirectoryWithToken = Type.Object(
  { directory: Directory, token: Type.String() },
  { additionalProperties: false },
);

const DirectoryParams = Type.Object({ organizationId: Ulid, directoryId: Ulid }, { additionalProperties: false });
const DIRECTORIES = '/api/user/organizations/:organizationId/directories';

/**
 * Owners only (`organization:manage-security`). Reading: a session or a key. Anything that mints or ends a
 * SCIM token, or changes who gets which role: a session (with a fresh second factor when the account
 * has one), because a directory can make owners, which no key or app may.
 */
const admin = {
  upstream: 'identity',
  auth: 'required',
  tag: 'Directory sync',
  permission: 'organization:manage-security',
} as const satisfies Partial<RouteContract>;
const reading = { ...admin, credentials: CREDENTIAL_MANAGERS, scopes: ['organizations:read'] } as const;
const writing = { ...admin, credentials: PERSON_ONLY, scopes: ['organizations:write'] } as const;

export const DIRECTORY_ROUTES = defineRoutes({
  listDirectories: {
    ...reading,
    method: 'GET',
    path: DIRECTORIES,
    summary: "List the organization's SCIM directories",
    params: OrganizationParams,
    query: listQuerySchema({ sort: ['createdAt', 'name'] }),
    response: { status: 200, data: Directory, list: true },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  createDirectory: {
    ...writing,
    method: 'POST',
    path: DIRECTORIES,
    summary: 'Create a SCIM directory; the answer holds its bearer token, shown once',
    description:
      'One live directory per organization (409 CONFLICT `DIRECTORY_EXISTS` for a second). Copy `directory.scimBaseUrl` and `token` into the IdP’s provisioning settings. People are provisioned only with addresses in the organization’s verified domains. `roleMapping` maps directory groups (by display name) to roles; a person in several gets the highest, one in none gets `defaultRole` (member unless set).',
    params: OrganizationParams,
    body: Type.Object(
      {
        name: DirectoryName,
        defaultRole: Type.Optional(RoleSchema),
        roleMapping: Type.Optional(GroupRoleMapping),
      },
      { additionalProperties: false },
    ),
    response: { status: 201, data: DirectoryWithToken },
    errors: ['INSUFFICIENT_PERMISSIONS', 'MFA_REQUIRED', 'CONFLICT'],
  },
  getDirectory: {
    ...reading,
    method: 'GET',
    path: `${DIRECTORIES}/:directoryId`,
    summary: 'Read a SCIM directory',
    params: DirectoryParams,
    response: { status: 200, data: Directory },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  updateDirectory: {
    ...writing,
    method: 'PUT',
    path: `${DIRECTORIES}/:directoryId`,
    summary: 'Rename a directory or change its role mapping',
    description:
      'Only the fields sent change. A new mapping applies at once to everyone the directory provisioned (their roles are recomputed and the changes published as role changes).',
    params: DirectoryParams,
    body: Type.Object(
      {
        name: Type.Optional(DirectoryName),
        defaultRole: Type.Optional(RoleSchema),
        roleMapping: Type.Optional(GroupRoleMapping),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
    response: { status: 200, data: Directory },
    errors: ['INSUFFICIENT_PERMISSIONS', 'MFA_REQUIRED'],
  },
  deleteDirectory: {
    ...writing,
    method: 'DELETE',
    path: `${DIRECTORIES}/:directoryId`,
    summary: 'Delete a SCIM directory: its tokens stop at once',
    description:
      'The people it provisioned stay members with their current roles and accounts; nothing syncs any more. Its SCIM records are kept 30 days (docs/scim.md), then purged.',
    params: DirectoryParams,
    response: { status: 200, data: NoData },
    errors: ['INSUFFICIENT_PERMISSIONS', 'MFA_REQUIRED'],
  },
  rotateDirectoryToken: {
    ...writing,
    method: 'POST',
    path: `${DIRECTORIES}/:directoryId/rotate-token`,
    // Security keeps working while the organization is read-only (an unpaid subscription).
    whileReadOnly: 'allowed',
    summary: 'Issue a new SCIM token; the previous one keeps working for `overlapSeconds`',
    description:
      '`overlapSeconds` (default 3600, at most 7 days; 0 ends the previous token at once) gives time to paste the new token into the IdP. A token older than the previous one ends now.',
    params: DirectoryParams,
    body: Type.Object(
      { overlapSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: DIRECTORY_TOKEN_MAX_OVERLAP_SECONDS })) },
      { additionalProperties: false },
    ),
    response: { status: 200, data: DirectoryWithToken },
    errors: ['INSUFFICIENT_PERMISSIONS', 'MFA_REQUIRED'],
  },
  revokeDirectoryTokens: {
    ...writing,
    method: 'POST',
    path: `${DIRECTORIES}/:directoryId/revoke-tokens`,
    // Security keeps working while the organization is read-only (an unpaid subscription).
    whileReadOnly: 'allowed',
    summary: 'End every token of the directory at once (sync stops until a new one is issued)',
    params: DirectoryParams,
    response: { status: 200, data: Directory },
    errors: ['INSUFFICIENT_PERMISSIONS', 'MFA_REQUIRED'],
  },
});
