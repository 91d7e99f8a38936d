import { type TSchema, Type } from 'typebox';
import type { RouteContract, RouteErrorResponse } from '../contract.js';
import { defineRoutes } from '../contract.js';

/**
 * SCIM 2.0 (RFC 7643 resources, RFC 7644 protocol) for a customer's directory, under /scim/v2. The
 * caller is a directory's SCIM token (credential kind `scim`), never a person. Answers and errors
 * are SCIM's own JSON (`application/scim+json`), not the Gatehouse envelope: that is what SCIM
 * clients parse (docs/api.md, "Exceptions").
 */

export const SCIM_BASE_PATH = '/scim/v2';
export const SCIM_MEDIA_TYPE = 'application/scim+json';
export const SCIM_SCHEMAS = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;

/** RFC 7644 §3.12 `scimType` values. */
export const SCIM_ERROR_TYPES = [
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
] as const;
export type ScimErrorType = (typeof SCIM_ERROR_TYPES)[number];

/** The most resources one list answer holds (`count` above it is lowered to it, as RFC 7644 §3.4.2.4 allows). */
export const SCIM_MAX_RESULTS = 200;
/** The most members one Group PUT or POST may carry (10,000 with a `display` each fit the 1 MiB body limit), and the most operations in one PATCH. */
export const SCIM_MAX_GROUP_MEMBERS = 10_000;
export const SCIM_MAX_PATCH_OPERATIONS = 1000;

export const ScimError = Type.Object(
  {
    schemas: Type.Array(Type.Literal(SCIM_SCHEMAS.error)),
    /** The HTTP status, as a string (RFC 7644 §3.12). */
    status: Type.String(),
    scimType: Type.Optional(Type.Unsafe<ScimErrorType>({ type: 'string', enum: [...SCIM_ERROR_TYPES] })),
    detail: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** RFC 7644 §3.12's error document, as identity and the gateway both answer it. */
export interface ScimErrorDocument {
  schemas: [typeof SCIM_SCHEMAS.error];
  status: string;
  scimType?: ScimErrorType;
  detail: string;
}

export function scimErrorDocument(status: number, detail: string, scimType?: ScimErrorType): ScimErrorDocument {
  return { schemas: [SCIM_SCHEMAS.error], status: String(status), ...(scimType && { scimType }), detail };
}

/*
 * SCIM references carry a `$ref` attribute (a member's, a manager's URI). It is not declared below, only
 * let through (additionalProperties): a `$ref` key in a schema is a JSON Schema reference to OpenAPI tools.
 */

/** Entra ID sends booleans as strings ("True", "False"); both spellings are taken, nothing else. */
const ScimBoolean = Type.Union([Type.Boolean(), Type.String({ pattern: '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$' })]);
const ShortText = Type.String({ maxLength: 1024 });

const Meta = Type.Object(
  {
    resourceType: Type.String(),
    created: Type.Optional(Type.String()),
    lastModified: Type.Optional(Type.String()),
    location: Type.String(),
    version: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

const Email = Type.Object(
  {
    value: Type.String({ minLength: 1, maxLength: 254 }),
    type: Type.Optional(Type.String({ maxLength: 64 })),
    primary: Type.Optional(ScimBoolean),
    display: Type.Optional(ShortText),
  },
  { additionalProperties: true },
);

const Name = Type.Object(
  {
    formatted: Type.Optional(ShortText),
    familyName: Type.Optional(ShortText),
    givenName: Type.Optional(ShortText),
    middleName: Type.Optional(ShortText),
    honorificPrefix: Type.Optional(ShortText),
    honorificSuffix: Type.Optional(ShortText),
  },
  { additionalProperties: true },
);

const Manager = Type.Object(
  {
    value: Type.Optional(Type.String({ maxLength: 255 })),
    displayName: Type.Optional(ShortText),
  },
  { additionalProperties: true },
);

const EnterpriseUser = Type.Object(
  {
    employeeNumber: Type.Optional(ShortText),
    costCenter: Type.Optional(ShortText),
    organization: Type.Optional(ShortText),
    division: Type.Optional(ShortText),
    department: Type.Optional(ShortText),
    /** A reference ({value: the manager's id}); Entra may send the bare id. */
    manager: Type.Optional(Type.Union([Manager, Type.String({ maxLength: 255 })])),
  },
  { additionalProperties: true },
);

/**
 * A User as clients send it (POST, PUT). Attributes Gatehouse does not model (phoneNumbers, addresses,
 * title, locale…) are kept as sent and answered back; `password` is never stored or answered.
 */
export const ScimUserInput = Type.Object(
  {
    schemas: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 10 })),
    userName: Type.String({ minLength: 1, maxLength: 254 }),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    active: Type.Optional(ScimBoolean),
    displayName: Type.Optional(ShortText),
    nickName: Type.Optional(ShortText),
    name: Type.Optional(Name),
    emails: Type.Optional(Type.Array(Email, { maxItems: 20 })),
    [SCIM_SCHEMAS.enterpriseUser]: Type.Optional(EnterpriseUser),
  },
  { additionalProperties: true },
);

export const ScimUser = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    id: Type.String(),
    externalId: Type.Optional(Type.String()),
    userName: Type.String(),
    active: Type.Boolean(),
    displayName: Type.Optional(Type.String()),
    name: Type.Optional(Name),
    emails: Type.Optional(Type.Array(Email)),
    /** The groups the user is in (read-only, RFC 7643 §4.1.2). */
    groups: Type.Optional(
      Type.Array(
        Type.Object({ value: Type.String(), display: Type.Optional(Type.String()) }, { additionalProperties: true }),
      ),
    ),
    [SCIM_SCHEMAS.enterpriseUser]: Type.Optional(EnterpriseUser),
    meta: Meta,
  },
  { additionalProperties: true },
);

const MemberInput = Type.Object(
  {
    value: Type.String({ minLength: 1, maxLength: 255 }),
    display: Type.Optional(ShortText),
    type: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: true },
);

export const ScimGroupInput = Type.Object(
  {
    schemas: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 10 })),
    displayName: Type.String({ minLength: 1, maxLength: 256 }),
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    members: Type.Optional(Type.Array(MemberInput, { maxItems: SCIM_MAX_GROUP_MEMBERS })),
  },
  { additionalProperties: true },
);

export const ScimGroup = Type.Object(
  {
    schemas: Type.Array(Type.String()),
    id: Type.String(),
    externalId: Type.Optional(Type.String()),
    displayName: Type.String(),
    /** Absent when the request said `excludedAttributes=members`. */
    members: Type.Optional(
      Type.Array(
        Type.Object({ value: Type.String(), display: Type.Optional(Type.String()) }, { additionalProperties: true }),
      ),
    ),
    meta: Meta,
  },
  { additionalProperties: true },
);

/**
 * Filters and PATCH paths never hold control characters. Refused before any parser sees them: the
 * filter library's tokenizer backtracks exponentially on an unclosed quote followed by newlines (one
 * request could hold identity for hours).
 */
const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001f\\u007f]*$';

/**
 * RFC 7644 §3.5.2. `op` in any case (Entra ID sends "Add", "Replace"); `path` may be absent (then
 * `value` is an attribute map) or filtered (`members[value eq "…"]`, `emails[type eq "work"].value`).
 */
export const ScimPatchInput = Type.Object(
  {
    schemas: Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 5 }),
    Operations: Type.Array(
      Type.Object(
        {
          op: Type.String({ pattern: '^([Aa][Dd][Dd]|[Rr][Ee][Mm][Oo][Vv][Ee]|[Rr][Ee][Pp][Ll][Aa][Cc][Ee])$' }),
          path: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, pattern: NO_CONTROL_CHARACTERS })),
          value: Type.Optional(Type.Unknown()),
        },
        { additionalProperties: true },
      ),
      { minItems: 1, maxItems: SCIM_MAX_PATCH_OPERATIONS },
    ),
  },
  { additionalProperties: true },
);

const ListQuery = Type.Object(
  {
    filter: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: NO_CONTROL_CHARACTERS })),
    /** Below 1 counts as 1, a negative count as 0, above SCIM_MAX_RESULTS as it (RFC 7644 §3.4.2.4). */
    startIndex: Type.Optional(Type.Integer({ maximum: 2_147_483_647 })),
    count: Type.Optional(Type.Integer({ maximum: 2_147_483_647 })),
    attributes: Type.Optional(Type.String({ maxLength: 1000 })),
    excludedAttributes: Type.Optional(Type.String({ maxLength: 1000 })),
    /** Sorting is not supported (ServiceProviderConfig says so); the parameters are accepted and ignored. */
    sortBy: Type.Optional(Type.String({ maxLength: 200 })),
    sortOrder: Type.Optional(Type.String({ maxLength: 20 })),
  },
  { additionalProperties: false },
);
const ReadQuery = Type.Object(
  {
    attributes: Type.Optional(Type.String({ maxLength: 1000 })),
    excludedAttributes: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

const listOf = (resource: TSchema) =>
  Type.Object(
    {
      schemas: Type.Array(Type.Literal(SCIM_SCHEMAS.listResponse)),
      totalResults: Type.Integer(),
      startIndex: Type.Integer(),
      itemsPerPage: Type.Integer(),
      Resources: Type.Array(resource),
    },
    { additionalProperties: false },
  );

/** A SCIM id: ours are ULIDs, but a client may send anything; a malformed one is simply not found. */
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });

const SCIM_ERRORS: RouteErrorResponse = {
  statuses: [400, 401, 403, 404, 409, 413, 415, 429, 500, 503],
  contentType: SCIM_MEDIA_TYPE,
  body: ScimError,
  description: 'SCIM error (RFC 7644 §3.12): `status` as a string, `scimType` for 400 and 409, `detail` for people.',
};

const scim = {
  upstream: 'identity',
  auth: 'required',
  credentials: ['scim'],
  tag: 'SCIM 2.0',
  errorResponse: SCIM_ERRORS,
} as const satisfies Partial<RouteContract>;
const answer = (status: 200 | 201 | 204, body?: TSchema) =>
  body ? { status, contentType: SCIM_MEDIA_TYPE, body } : ({ status } as const);
const Document = Type.Object({ schemas: Type.Array(Type.String()) }, { additionalProperties: true });

export const SCIM_ROUTES = defineRoutes({
  scimServiceProviderConfig: {
    ...scim,
    method: 'GET',
    path: `${SCIM_BASE_PATH}/ServiceProviderConfig`,
    summary: 'What this SCIM service provider supports (PATCH and filters; no bulk, sort or ETags)',
    response: answer(200, Document),
  },
  scimListResourceTypes: {
    ...scim,
    method: 'GET',
    path: `${SCIM_BASE_PATH}/ResourceTypes`,
    summary: 'The resource types: User (with the enterprise extension) and Group',
    response: answer(200, listOf(Document)),
  },
  scimGetResourceType: {
    ...scim,
    method: 'GET',
    path: `${SCIM_BASE_PATH}/ResourceTypes/:id`,
    summary: 'One resource type',
    params: IdParams,
    response: answer(200, Document),
  },
  scimListSchemas: {
    ...scim,
    method: 'GET',
    path: `${SCIM_BASE_PATH}/Schemas`,
    summary: 'The schemas of User, enterprise User and Group',
    response: answer(200, listOf(Document)),
  },
  scimGetSchema: {
    ...scim,
    method: 'GET',
    path: `${SCIM_BASE_PATH}/Schemas/:id`,
    summary: 'One schema, by its URN',
    params: IdParams,
    response: answer(200, Document),
  },
  scimListUsers: {
    ...scim,
    method: 'GET',
    path: `${SCIM_BASE_PATH}/Users`,
    summary: 'List or find users (`filter`, `startIndex`, `count`)',
    description:
      'Filters: `eq`, `ne`, `co`, `sw`, `ew`, `pr`, `gt`/`ge`/`lt`/`le` on dates, `and`, `or`, `not` and parentheses, on `userName`, `externalId`, `displayName`, `active`, `name.givenName`, `name.familyName`, `emails.value`, `emails[type eq "work"].value`, `id`, `meta.created`, `meta.lastModified`. `userName` compares case-insensitively (RFC 7643).',
    query: ListQuery,
    response: answer(200, listOf(ScimUser)),
  },
  scimCreateUser: {
    ...scim,
    method: 'POST',
    path: `${SCIM_BASE_PATH}/Users`,
    summary: 'Provision a person: an account (or a link to one by verified domain) and a membership',
    description:
      'The primary (else work, else first) email, or a `userName` that is an address, must be in one of the organization’s verified domains. The same `userName` or `externalId` again is 409 `uniqueness`.',
    body: ScimUserInput,
    response: answer(201, ScimUser),
  },
  scimGetUser: {
    ...scim,
    method: 'GET',
    path: `${SCIM_BASE_PATH}/Users/:id`,
    summary: 'Read a user',
    params: IdParams,
    query: ReadQuery,
    response: answer(200, ScimUser),
  },
  scimReplaceUser: {
    ...scim,
    method: 'PUT',
    path: `${SCIM_BASE_PATH}/Users/:id`,
    summary: 'Replace a user (Okta sends the whole user for every change)',
    params: IdParams,
    body: ScimUserInput,
    response: answer(200, ScimUser),
  },
  scimPatchUser: {
    ...scim,
    method: 'PATCH',
    path: `${SCIM_BASE_PATH}/Users/:id`,
    summary: 'Change a user: `active: false` deprovisions at once',
    params: IdParams,
    body: ScimPatchInput,
    response: answer(200, ScimUser),
  },
  scimDeleteUser: {
    ...scim,
    method: 'DELETE',
    path: `${SCIM_BASE_PATH}/Users/:id`,
    summary: 'Deprovision and forget a user (the account is kept deactivated; docs/scim.md)',
    params: IdParams,
    response: answer(204),
  },
  scimListGroups: {
    ...scim,
    method: 'GET',
    path: `${SCIM_BASE_PATH}/Groups`,
    summary: 'List or find groups (`filter` on `displayName`, `externalId`, `id`, `members.value`)',
    query: ListQuery,
    response: answer(200, listOf(ScimGroup)),
  },
  scimCreateGroup: {
    ...scim,
    method: 'POST',
    path: `${SCIM_BASE_PATH}/Groups`,
    summary: 'Create a group (its members get the role it maps to)',
    body: ScimGroupInput,
    response: answer(201, ScimGroup),
  },
  scimGetGroup: {
    ...scim,
    method: 'GET',
    path: `${SCIM_BASE_PATH}/Groups/:id`,
    summary: 'Read a group',
    params: IdParams,
    query: ReadQuery,
    response: answer(200, ScimGroup),
  },
  scimReplaceGroup: {
    ...scim,
    method: 'PUT',
    path: `${SCIM_BASE_PATH}/Groups/:id`,
    summary: 'Replace a group and its members',
    params: IdParams,
    body: ScimGroupInput,
    response: answer(200, ScimGroup),
  },
  scimPatchGroup: {
    ...scim,
    method: 'PATCH',
    path: `${SCIM_BASE_PATH}/Groups/:id`,
    summary: 'Change a group: add, remove (`members[value eq "…"]`) or replace members, rename',
    description: 'Answers 204 (RFC 7644 §3.5.2 allows it): a 5,000-member group is not sent back for every change.',
    params: IdParams,
    body: ScimPatchInput,
    response: answer(204),
  },
  scimDeleteGroup: {
    ...scim,
    method: 'DELETE',
    path: `${SCIM_BASE_PATH}/Groups/:id`,
    summary: 'Delete a group (its members’ roles are recomputed)',
    params: IdParams,
    response: answer(204),
  },
});
