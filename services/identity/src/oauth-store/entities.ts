import type { OAuthClientType } from '@gatehouse/contracts';
import { EntitySchema } from '@mikro-orm/postgresql';

/**
 * One oidc-provider model instance (Grant, AuthorizationCode, RefreshToken, Session,
 * Interaction, ...). The columns beside `payload` are the lookups the provider needs
 * (by grant, session uid, user code) and the ones Gatehouse lists by (account, client).
 */
export interface OidcPayload {
  model: string;
  id: string;
  payload: Record<string, unknown>;
  grantId: string | null;
  uid: string | null;
  userCode: string | null;
  accountId: string | null;
  clientId: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  consumedAt: Date | null;
}

export const OidcPayloadSchema = new EntitySchema<OidcPayload>({
  name: 'OidcPayload',
  tableName: 'oidc_payloads',
  properties: {
    model: { type: 'string', primary: true },
    id: { type: 'string', primary: true },
    payload: { type: 'json' },
    grantId: { type: 'string', nullable: true },
    uid: { type: 'string', nullable: true },
    userCode: { type: 'string', nullable: true },
    accountId: { type: 'string', nullable: true },
    clientId: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date', nullable: true },
    consumedAt: { type: 'Date', nullable: true },
  },
});

/** public (no secret, PKCE only) or confidential (a secret, shown once). */
export type ClientType = OAuthClientType;

/** A third-party application; its id is the OAuth `client_id`. */
export interface OAuthApp {
  id: string;
  /** Null for applications that registered themselves (RFC 7591). */
  ownerUserId: string | null;
  name: string;
  clientType: ClientType;
  redirectUris: string[];
  /** What the app may ask users for: API scopes plus openid, profile, email, offline_access. */
  allowedScopes: string[];
  /** sha256 of a confidential app's secret; the secret is shown once and never stored. */
  secretHash: string | null;
  secretStart: string | null;
  /** When the current secret was issued; client-credentials tokens older than it are refused. */
  secretChangedAt: Date | null;
  /** none (public), client_secret_basic or client_secret_post. */
  tokenAuthMethod: string;
  registered: boolean;
  /** Registered with a pinned key: every token of the app carries this pin. */
  organizationId: string | null;
  /** The key that minted the current secret; client-credentials tokens stand only while it does. */
  registeredByKeyId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const OAuthAppSchema = new EntitySchema<OAuthApp>({
  name: 'OAuthApp',
  tableName: 'oauth_apps',
  properties: {
    id: { type: 'string', primary: true },
    ownerUserId: { type: 'string', nullable: true, index: true },
    name: { type: 'string' },
    clientType: { type: 'string' },
    redirectUris: { type: 'json' },
    allowedScopes: { type: 'json' },
    secretHash: { type: 'string', nullable: true, hidden: true },
    secretStart: { type: 'string', nullable: true },
    secretChangedAt: { type: 'Date', nullable: true },
    tokenAuthMethod: { type: 'string' },
    registered: { type: 'boolean' },
    organizationId: { type: 'string', nullable: true },
    registeredByKeyId: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});
