import { Type } from 'typebox';
import { listQuerySchema } from '../../pagination.js';
import { NoData, Nullable } from '../common.js';
import { defineRoutes } from '../contract.js';
import {
  ClientType,
  CREDENTIAL_MANAGERS,
  GrantId,
  OAuthApp,
  OAuthAppId,
  OAuthGrant,
  RequestedScopes,
} from './schemas.js';

const AppName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const RedirectUris = Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { minItems: 1, maxItems: 10 });
const OAuthAppParams = Type.Object({ id: OAuthAppId });

/** Creation shows a confidential app's secret, once; a public app's is null. */
const CreatedOAuthApp = Type.Object(
  { ...OAuthApp.properties, clientSecret: Nullable(Type.String()) },
  { additionalProperties: false },
);
/** `clientSecret` is present only when this change issued one (rotation, or a switch to confidential). */
const UpdatedOAuthApp = Type.Object(
  { ...OAuthApp.properties, clientSecret: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

const BASE = '/api/user/oauth-apps';

// OAuth apps a user owns, and the grants a user gave; never through an OAuth token (a read needs
// user:read, a change user:write).
const management = { upstream: 'identity', auth: 'required', credentials: CREDENTIAL_MANAGERS } as const;
const reading = { ...management, scopes: ['user:read'] } as const;
const writing = { ...management, scopes: ['user:write'] } as const;

export const OAUTH_APP_ROUTES = defineRoutes({
  listOAuthApps: {
    ...reading,
    method: 'GET',
    path: BASE,
    tag: 'OAuth apps',
    summary: 'List the OAuth apps you own',
    description: 'A pinned key sees only the apps pinned to its organization. `q` matches the name.',
    query: listQuerySchema({ sort: ['createdAt', 'name'], search: true }),
    response: { status: 200, data: OAuthApp, list: true },
    errors: ['FORBIDDEN'],
  },
  createOAuthApp: {
    ...writing,
    method: 'POST',
    path: BASE,
    tag: 'OAuth apps',
    summary: 'Register an OAuth app',
    description:
      'Redirect URIs are matched exactly: https, http only on loopback, or a reverse-domain custom scheme; no fragments. Registered with a key, the app is allowed at most the key’s API scopes and carries its pin.',
    body: Type.Object(
      { name: AppName, redirectUris: RedirectUris, type: ClientType, allowedScopes: RequestedScopes },
      { additionalProperties: false },
    ),
    response: { status: 201, data: CreatedOAuthApp },
    errors: ['INVALID_SCOPE', 'CONFLICT', 'FORBIDDEN', 'MFA_REQUIRED'],
  },
  getOAuthApp: {
    ...reading,
    method: 'GET',
    path: `${BASE}/:id`,
    tag: 'OAuth apps',
    summary: 'Read an OAuth app',
    params: OAuthAppParams,
    response: { status: 200, data: OAuthApp },
    errors: ['FORBIDDEN'],
  },
  updateOAuthApp: {
    ...writing,
    method: 'PUT',
    path: `${BASE}/:id`,
    tag: 'OAuth apps',
    summary: 'Change an OAuth app',
    description:
      '`rotateSecret: true` issues a new secret (shown once in this answer); the old one, and the client-credentials tokens obtained with it, stop working at once.',
    params: OAuthAppParams,
    body: Type.Object(
      {
        name: Type.Optional(AppName),
        redirectUris: Type.Optional(RedirectUris),
        type: Type.Optional(ClientType),
        allowedScopes: Type.Optional(RequestedScopes),
        rotateSecret: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
    response: { status: 200, data: UpdatedOAuthApp },
    errors: ['INVALID_SCOPE', 'FORBIDDEN', 'MFA_REQUIRED'],
  },
  deleteOAuthApp: {
    ...writing,
    method: 'DELETE',
    path: `${BASE}/:id`,
    tag: 'OAuth apps',
    summary: 'Delete an OAuth app',
    description: 'Revokes every grant users gave it; its tokens stop working within seconds.',
    params: OAuthAppParams,
    response: { status: 200, data: NoData },
    errors: ['FORBIDDEN'],
  },
  listOAuthGrants: {
    ...reading,
    method: 'GET',
    path: '/api/user/oauth-grants',
    tag: 'OAuth grants',
    summary: 'List the apps you let act for you',
    description: '`q` matches the app’s name.',
    query: listQuerySchema({ sort: ['createdAt', 'expiresAt'], search: true }),
    response: { status: 200, data: OAuthGrant, list: true },
    errors: ['FORBIDDEN'],
  },
  revokeOAuthGrant: {
    ...writing,
    method: 'DELETE',
    path: '/api/user/oauth-grants/:grantId',
    tag: 'OAuth grants',
    summary: 'Revoke an app’s access',
    description: 'Ends the grant and every token issued under it.',
    params: Type.Object({ grantId: GrantId }),
    response: { status: 200, data: NoData },
    errors: ['FORBIDDEN'],
  },
});
