import { Type } from 'typebox';
import { listQuerySchema } from '../../pagination.js';
import { NoData, Nullable, Timestamp, Ulid } from '../common.js';
import { defineRoutes } from '../contract.js';
import { ApiKey, ApiKeyId, ApiKeyMetadata, CREDENTIAL_MANAGERS, RequestedScopes, TokenScopeName } from './schemas.js';

const KeyName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });

/** The creation answer: the only time the key itself is shown. */
const CreatedApiKey = Type.Object(
  {
    id: ApiKeyId,
    name: Type.String(),
    /** The key (`ba_…`): send it as X-Api-Key. Shown once; only its hash is kept. */
    key: Type.String(),
    start: Type.String(),
    scopes: Type.Array(TokenScopeName),
    metadata: ApiKeyMetadata,
    expiresAt: Nullable(Timestamp),
    enabled: Type.Boolean(),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);

const tag = 'API keys';

// Personal Access Tokens: managed with a session or a key, never through an OAuth token.
export const API_KEY_ROUTES = defineRoutes({
  createApiKey: {
    method: 'POST',
    path: '/api/auth/api-key/create',
    upstream: 'identity',
    tag,
    summary: 'Create an API key (Personal Access Token)',
    description:
      'A key creating a key gives it at most its own scopes, pin and expiry. `expiresIn` is in seconds; null or absent means no expiry where the deployment allows it (a child key expires with its parent). `metadata.organizationId` pins the key to one organization.',
    auth: 'required',
    scopes: ['api-keys:write'],
    credentials: CREDENTIAL_MANAGERS,
    limit: 'apiKeyCreate',
    body: Type.Object(
      {
        name: KeyName,
        expiresIn: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
        scopes: RequestedScopes,
        metadata: Type.Optional(Type.Object({ organizationId: Type.Optional(Ulid) }, { additionalProperties: false })),
      },
      { additionalProperties: false },
    ),
    response: { status: 200, data: CreatedApiKey },
    errors: ['INVALID_SCOPE', 'FORBIDDEN', 'CONFLICT', 'INVALID_API_KEY', 'SSO_REQUIRED', 'MFA_REQUIRED'],
  },
  listApiKeys: {
    method: 'GET',
    path: '/api/auth/api-key/list',
    upstream: 'identity',
    tag,
    summary: 'List your API keys (never their values)',
    description: 'A key pinned to an organization sees only the keys pinned to it. `q` matches the name.',
    auth: 'required',
    scopes: ['api-keys:read'],
    credentials: CREDENTIAL_MANAGERS,
    query: listQuerySchema({ sort: ['createdAt', 'name', 'lastUsedAt'], search: true }),
    response: { status: 200, data: ApiKey, list: true },
    errors: ['FORBIDDEN'],
  },
  getApiKey: {
    method: 'GET',
    path: '/api/auth/api-key/get',
    upstream: 'identity',
    tag,
    summary: 'Read an API key',
    auth: 'required',
    scopes: ['api-keys:read'],
    credentials: CREDENTIAL_MANAGERS,
    query: Type.Object({ id: ApiKeyId }, { additionalProperties: false }),
    response: { status: 200, data: ApiKey },
    errors: ['FORBIDDEN'],
  },
  updateApiKey: {
    method: 'POST',
    path: '/api/auth/api-key/update',
    upstream: 'identity',
    tag,
    summary: 'Rename, disable or enable an API key',
    description:
      'Disabling a key disables every key it created, down the generations. A disabled child cannot be enabled while its parent is off.',
    auth: 'required',
    scopes: ['api-keys:write'],
    credentials: CREDENTIAL_MANAGERS,
    body: Type.Object(
      { keyId: ApiKeyId, name: Type.Optional(KeyName), enabled: Type.Optional(Type.Boolean()) },
      { additionalProperties: false },
    ),
    response: { status: 200, data: ApiKey },
    errors: ['FORBIDDEN', 'CONFLICT', 'MFA_REQUIRED'],
  },
  deleteApiKey: {
    method: 'POST',
    path: '/api/auth/api-key/delete',
    upstream: 'identity',
    tag,
    summary: 'Delete an API key',
    description: 'Deletes every key it created too; gateways refuse them within seconds.',
    auth: 'required',
    scopes: ['api-keys:delete'],
    credentials: CREDENTIAL_MANAGERS,
    body: Type.Object({ keyId: ApiKeyId }, { additionalProperties: false }),
    response: { status: 200, data: NoData },
    errors: ['FORBIDDEN'],
  },
});
