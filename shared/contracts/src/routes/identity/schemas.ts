import { Type } from 'typebox';
import { MFA_FACTORS, type MfaFactor } from '../../events.js';
import { API_KEY_ID_PREFIX } from '../../ids.js';
import { AMR_VALUES, type Amr, type CredentialKind } from '../../principal.js';
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
export const AmrName = Type.Unsafe<Amr>({ type: 'string', enum: [...AMR_VALUES] });
export const LOGIN_METHODS = ['password', 'sso', 'passkey', 'magic_link'] as const;
export type LoginMethodName = (typeof LOGIN_METHODS)[number];
export const LoginMethod = Type.Unsafe<LoginMethodName>({ type: 'string', enum: [...LOGIN_METHODS] });
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
  /** How it was signed in to (RFC 8176 values plus `sso` and `email`). */
  amr: Type.Array(AmrName),
  /** When a second factor was last proven in it; null: never. */
  secondFactorAt: Nullable(Timestamp),
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
    method: LoginMethod,
    /** The second factor proven, when one was asked for. */
    secondFactor: Nullable(Type.Unsafe<MfaFactor>({ type: 'string', enum: [...MFA_FACTORS] })),
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
    /** Second factors as metadata only: never a secret, a public key or a hash. */
    mfa: Type.Object(
      {
        totp: Nullable(Type.Object({ confirmedAt: Timestamp }, { additionalProperties: false })),
        passkeys: Type.Array(
          Type.Object(
            {
              name: Type.String(),
              createdAt: Timestamp,
              lastUsedAt: Nullable(Timestamp),
              deviceType: Type.String(),
              backedUp: Type.Boolean(),
            },
            { additionalProperties: false },
          ),
        ),
        recoveryCodesLeft: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

// ── Signing in ─────────────────────────────────────────────────────────────────
/** A sign-in that made a session (the cookie is set). */
export const SignedIn = Type.Object(
  {
    user: User,
    session: Type.Object({ id: Ulid, expiresAt: Timestamp }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export const MfaFactorName = Type.Unsafe<MfaFactor>({ type: 'string', enum: [...MFA_FACTORS] });
/**
 * `<accountTag>.<secret>`: the tag (16 base64url characters, keyed on the account) lets the gateway limit
 * attempts per account before identity is asked; the secret (256 bits) is what identity checks.
 */
export const CHALLENGE_ID_PATTERN = '^[A-Za-z0-9_-]{16}\\.[A-Za-z0-9]{20,64}$';
export const ChallengeId = Type.String({ pattern: CHALLENGE_ID_PATTERN });
/** Options for `navigator.credentials.get/create` as JSON (`PublicKeyCredential.parse…OptionsFromJSON`). */
export const WebAuthnOptionsJson = Type.Record(Type.String(), Type.Unknown());

/** What a sign-in answers instead of a session when the account has a second factor. */
export const MfaChallenge = Type.Object(
  {
    mfaRequired: Type.Literal(true),
    challengeId: ChallengeId,
    factors: Type.Array(MfaFactorName),
    expiresAt: Timestamp,
    attemptsLeft: Type.Integer({ minimum: 0 }),
    /** Present when `passkey` is a factor: the options of an assertion bound to this challenge. */
    passkeyOptions: Type.Optional(WebAuthnOptionsJson),
  },
  { additionalProperties: false },
);
/** Every way in answers this: a session, or the step that asks for the second factor. */
export const SignInAnswer = Type.Union([SignedIn, MfaChallenge]);
