import { Type } from 'typebox';
import { API_KEY_ID_PREFIX } from '../../ids.js';
import type { CredentialKind } from '../../principal.js';
import { OIDC_SCOPES, ROLES, type Role, TOKEN_SCOPES, type TokenScope } from '../../scopes.js';
import { Nullable, Timestamp, Ulid } from '../common.js';

/** Schemas identity's routes share: request fields and the shapes its presenters answer. */

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const OAUTH_APP_ID_PATTERN = '^oa_[0-9A-HJKMNP-TV-Z]{26}$';
export const API_KEY_ID_PATTERN = `^${API_KEY_ID_PREFIX}[0-9A-HJKMNP-TV-Z]{26}$`;
export const OAUTH_CLIENT_TYPES = ['public', 'confidential'] as const;
export type OAuthClientType = (typeof OAUTH_CLIENT_TYPES)[number];

/**
 * Credential management (API keys, OAuth apps, OAuth grants, sessions) is refused to OAuth access
 * tokens: a third-party app must not mint credentials that outlive the grant the user can revoke.
 */
export const CREDENTIAL_MANAGERS: readonly CredentialKind[] = ['session', 'api_key'];
/**
 * What only the person may do: prove the password again (change it) or end the account. A key or
 * an app holding `user:write` must not be a way to guess the password or delete the account.
 */
export const PERSON_ONLY: readonly CredentialKind[] = ['session'];

// ── Request fields ─────────────────────────────────────────────────────────────
export const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
export const Password = Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX });
/** What sign-in and the current-password check accept: any password ever set, so no minimum. */
export const CurrentPassword = Type.String({ minLength: 1, maxLength: 128 });
export const FullName = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
export const Handle = Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{1,28}[a-z0-9])$' });
/** The token of a mailed single-use link. */
export const LinkToken = Type.String({ minLength: 20, maxLength: 200, pattern: '^[A-Za-z0-9]+$' });
/** Accepted for compatibility with clients that send it; identity builds its links from PUBLIC_URL. */
export const CallbackUrl = Type.String({ maxLength: 2000 });
export const ApiKeyId = Type.String({ pattern: API_KEY_ID_PATTERN });
export const OAuthAppId = Type.String({ pattern: OAUTH_APP_ID_PATTERN });
/** oidc-provider grant ids are nanoids. */
export const GrantId = Type.String({ pattern: '^[A-Za-z0-9_-]{10,100}$' });

/** Any strings here, so an unknown scope gets INVALID_SCOPE naming it rather than a schema error. */
export const RequestedScopes = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 32 });

// ── Answer fields ──────────────────────────────────────────────────────────────
export const TokenScopeName = Type.Unsafe<TokenScope>({ type: 'string', enum: [...TOKEN_SCOPES] });
/** What an OAuth app may be allowed or granted: API scopes plus the OpenID ones. */
export const OAuthScopeName = Type.Unsafe<string>({ type: 'string', enum: [...TOKEN_SCOPES, ...OIDC_SCOPES] });
export const RoleName = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });
export const ClientType = Type.Unsafe<OAuthClientType>({ type: 'string', enum: [...OAUTH_CLIENT_TYPES] });

/** presentUser. */
export const User = Type.Object(
  {
    id: Ulid,
    email: Type.String(),
    fullName: Type.String(),
    handle: Type.String(),
    isVerified: Type.Boolean(),
    verifiedAt: Nullable(Timestamp),
    isActive: Type.Boolean(),
    lastLoginAt: Nullable(Timestamp),
    role: Type.Unsafe<'user' | 'admin'>({ type: 'string', enum: ['user', 'admin'] }),
    /** Organizations the user belongs to (as the credential sees them, in the export). */
    organizationCount: Type.Integer({ minimum: 0 }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

/** A key pinned to an organization names it; an unpinned key's metadata is `{}`. */
export const ApiKeyMetadata = Type.Object({ organizationId: Type.Optional(Ulid) }, { additionalProperties: false });

/** presentApiKey: never the key or its hash. */
export const ApiKey = Type.Object(
  {
    id: ApiKeyId,
    name: Type.String(),
    /** The key's first characters, to recognise it by. */
    start: Type.String(),
    scopes: Type.Array(TokenScopeName),
    metadata: ApiKeyMetadata,
    expiresAt: Nullable(Timestamp),
    lastUsedAt: Nullable(Timestamp),
    enabled: Type.Boolean(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

const sessionFields = {
  id: Ulid,
  /** The session this request was made with. */
  current: Type.Boolean(),
  createdAt: Timestamp,
  lastSeenAt: Timestamp,
  /** Idle expiry, slid forward on use. */
  expiresAt: Timestamp,
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
};

/** presentSession. */
export const Session = Type.Object(sessionFields, { additionalProperties: false });
/** A session in the account export, revoked ones included. */
export const ExportedSession = Type.Object(
  { ...sessionFields, revokedAt: Nullable(Timestamp) },
  { additionalProperties: false },
);

export const LoginEvent = Type.Object(
  {
    id: Ulid,
    at: Timestamp,
    ip: Nullable(Type.String()),
    userAgent: Nullable(Type.String()),
    method: Type.Union([Type.Literal('password'), Type.Literal('sso')]),
    success: Type.Boolean(),
  },
  { additionalProperties: false },
);

const oauthAppFields = {
  id: OAuthAppId,
  /** The same as `id`: the OAuth `client_id`. */
  clientId: OAuthAppId,
  name: Type.String(),
  type: ClientType,
  redirectUris: Type.Array(Type.String()),
  allowedScopes: Type.Array(OAuthScopeName),
  /** A confidential app's secret's first characters; null for a public app. */
  secretStart: Nullable(Type.String()),
  /** Registered with a pinned key: every token of the app carries this pin. */
  organizationId: Nullable(Ulid),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

/** presentOAuthApp: never its secret or the secret's hash. */
export const OAuthApp = Type.Object(oauthAppFields, { additionalProperties: false });

/** A grant as its user sees it: which app, which scopes, since and until when. */
export const OAuthGrant = Type.Object(
  {
    id: GrantId,
    /** `name` is null once the app is gone. */
    app: Type.Object(
      { clientId: Nullable(Type.String()), name: Nullable(Type.String()) },
      { additionalProperties: false },
    ),
    scopes: Type.Array(OAuthScopeName),
    createdAt: Timestamp,
    expiresAt: Nullable(Timestamp),
  },
  { additionalProperties: false },
);

/** Whatever identity holds about the user, minus secrets and hashes. */
export const AccountExport = Type.Object(
  {
    exportedAt: Timestamp,
    user: User,
    sessions: Type.Array(ExportedSession),
    apiKeys: Type.Array(ApiKey),
    loginHistory: Type.Array(
      Type.Object(
        { at: Timestamp, ip: Nullable(Type.String()), userAgent: Nullable(Type.String()), success: Type.Boolean() },
        { additionalProperties: false },
      ),
    ),
    organizations: Type.Array(Type.Object({ organizationId: Ulid, role: RoleName }, { additionalProperties: false })),
    oauthApps: Type.Array(OAuthApp),
    oauthGrants: Type.Array(OAuthGrant),
  },
  { additionalProperties: false },
);
