import { isOAuthScope, newId, OIDC_SCOPES, TOKEN_SCOPES } from '@gatehouse/contracts';
import { hashSecret, randomSecret, sameDigest } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type AdapterPayload, type ClientMetadata, errors } from 'oidc-provider';
import type { IdentityContext } from '../context.js';
import { announceRevocation } from '../credentials/revocation.js';
import { type OAuthApp, OAuthAppSchema } from './entities.js';

/**
 * The authorization server's clients (OAuth apps): their ids, what oidc-provider sees of them,
 * their secrets (only a digest is stored) and the redirect URIs they may register.
 */

export const CLIENT_SECRET_PREFIX = 'gcs_';
const SECRET_START_LENGTH = CLIENT_SECRET_PREFIX.length + 6;
const AUTH_METHODS: ReadonlySet<string> = new Set(['none', 'client_secret_basic', 'client_secret_post']);

export function newOAuthAppId(): string {
  return `oa_${newId()}`;
}

/** What oidc-provider sees of an app. `client_secret` is the hash (see compareClientSecret). */
export function clientMetadata(app: OAuthApp): ClientMetadata {
  const confidential = app.clientType === 'confidential';
  const grantTypes = ['authorization_code', 'refresh_token'];
  // Client credentials act for the app's owner, so only owned confidential apps have them.
  if (confidential && app.ownerUserId) grantTypes.push('client_credentials');
  const nativeScheme = app.redirectUris.some((uri) => !/^https?:/i.test(uri));
  const metadata: ClientMetadata = {
    client_id: app.id,
    client_name: app.name,
    application_type: nativeScheme ? 'native' : 'web',
    redirect_uris: app.redirectUris,
    response_types: ['code'],
    grant_types: grantTypes,
    token_endpoint_auth_method: app.tokenAuthMethod as ClientMetadata['token_endpoint_auth_method'],
    scope: app.allowedScopes.join(' '),
  };
  if (confidential && app.secretHash) metadata.client_secret = app.secretHash;
  return metadata;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * OAuth 2.1 redirect URIs: absolute, no fragment, https (http only on loopback), or a
 * private-use scheme with a reverse-domain name for native apps (RFC 8252 §7.1).
 */
export function redirectUriProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.hash || value.includes('#')) return 'must not contain a fragment';
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  if (scheme === 'https') return null;
  if (scheme === 'http') return LOOPBACK_HOSTS.has(url.hostname) ? null : 'must use https (http only for loopback)';
  if (['javascript', 'data', 'file', 'vbscript', 'ftp', 'ws', 'wss'].includes(scheme))
    return `${scheme}: is not allowed`;
  return scheme.includes('.') ? null : 'a custom scheme must be a reverse domain name (com.example.app:/callback)';
}

/** What is stored of a secret: its hash, and its first characters to recognise it by. */
export function storedSecret(secret: string): { secretHash: string; secretStart: string } {
  return { secretHash: hashSecret(secret), secretStart: secret.slice(0, SECRET_START_LENGTH) };
}

export function newSecret(): { secret: string; secretHash: string; secretStart: string } {
  const secret = `${CLIENT_SECRET_PREFIX}${randomSecret(32)}`;
  return { secret, ...storedSecret(secret) };
}

/** The secret factory handed to oidc-provider for dynamic registration. */
export function newClientSecret(): string {
  return newSecret().secret;
}

/** Checks a presented secret against the stored digest (the metadata carries the digest, see clientMetadata). */
export function sameClientSecret(storedDigest: unknown, presented: unknown): boolean {
  return typeof storedDigest === 'string' && typeof presented === 'string'
    ? sameDigest(storedDigest, hashSecret(presented))
    : false;
}

/**
 * Recovery: the app stays (other users' grants to it, its configuration), but without a secret:
 * its client-credentials tokens die and it authenticates again only once the owner rotates one in.
 */
export async function voidClientSecrets(em: EntityManager, userId: string, requestId?: string): Promise<void> {
  const apps = await em.find(OAuthAppSchema, { ownerUserId: userId, clientType: 'confidential' });
  const now = new Date();
  for (const app of apps) {
    app.secretHash = null;
    app.secretStart = null;
    app.secretChangedAt = now;
    app.updatedAt = now;
    announceRevocation(em, { kind: 'oauth', id: app.id, userId }, requestId);
  }
}

/** The apps whose current secret one of these keys minted (their client-credentials tokens stand on it). */
export function appsMintedBy(
  em: EntityManager,
  keyIds: string[],
  ownerUserId?: string,
): Promise<Array<Pick<OAuthApp, 'id'>>> {
  const where = { registeredByKeyId: { $in: keyIds } };
  return em.find(OAuthAppSchema, ownerUserId ? { ...where, ownerUserId } : where, { fields: ['id'] });
}

export function findClient(em: EntityManager, id: string): Promise<OAuthApp | null> {
  return em.findOne(OAuthAppSchema, { id });
}

/**
 * RFC 7591 dynamic registration (when enabled): oidc-provider has validated the metadata
 * and generated the secret; only its hash is kept. Registered apps have no owner.
 */
export async function registerClient(ctx: IdentityContext, id: string, payload: AdapterPayload): Promise<void> {
  const metadata = payload as ClientMetadata;
  const method = String(metadata.token_endpoint_auth_method ?? 'client_secret_basic');
  if (!AUTH_METHODS.has(method)) throw new errors.InvalidClientMetadata(`unsupported token_endpoint_auth_method`);
  // The same rules as apps made through the API (oidc-provider's own are looser).
  const redirectUris = (metadata.redirect_uris ?? []) as string[];
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new errors.InvalidRedirectUri(`redirect_uris: ${uri} ${problem}`);
  }
  const requested = typeof metadata.scope === 'string' ? metadata.scope.split(' ').filter(Boolean) : [];
  const unknown = requested.filter((scope) => !isOAuthScope(scope));
  if (unknown.length > 0) throw new errors.InvalidClientMetadata(`unknown scope: ${unknown.join(' ')}`);
  const secret = method !== 'none' && typeof metadata.client_secret === 'string' ? metadata.client_secret : null;
  const stored = secret ? storedSecret(secret) : { secretHash: null, secretStart: null };
  const now = new Date();
  const em = ctx.deps.orm.em.fork();
  await em.upsert(
    OAuthAppSchema,
    {
      id,
      ownerUserId: null,
      name: (typeof metadata.client_name === 'string' ? metadata.client_name : 'Registered app').slice(0, 100),
      clientType: method === 'none' ? 'public' : 'confidential',
      redirectUris,
      allowedScopes: requested.length > 0 ? requested : [...TOKEN_SCOPES, ...OIDC_SCOPES],
      ...stored,
      secretChangedAt: now,
      tokenAuthMethod: method,
      registered: true,
      organizationId: null,
      registeredByKeyId: null,
      createdAt: now,
      updatedAt: now,
    },
    { onConflictFields: ['id'], onConflictExcludeFields: ['createdAt'] },
  );
}
