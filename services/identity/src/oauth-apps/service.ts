import {
  AppError,
  type AuthenticatedPrincipal,
  conflict,
  type FieldError,
  isOAuthScope,
  newId,
  notFound,
  OIDC_SCOPES,
  TOKEN_SCOPES,
  validationError,
} from '@gatehouse/contracts';
import { findPage, hashSecret, likePattern, type PageRequest, randomSecret } from '@gatehouse/service-kit';
import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { type AdapterPayload, type ClientMetadata, errors } from 'oidc-provider';
import { commit, type IdentityContext, readEm } from '../context.js';
import { checkHeldScopes, pinOf } from '../credentials/limits.js';
import { announceRevocation } from '../credentials/revocation.js';
import { OidcPayloadSchema } from '../oauth/entities.js';
import { destroyGrants } from '../oauth-grants/service.js';
import { type ClientType, type OAuthApp, OAuthAppSchema, presentOAuthApp } from './entities.js';

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

function checkRedirectUris(uris: string[]): string[] {
  const errors: FieldError[] = [];
  uris.forEach((uri, index) => {
    const problem = redirectUriProblem(uri);
    if (problem) errors.push({ field: `redirectUris/${index}`, error: problem, location: 'body' });
  });
  if (errors.length > 0) throw validationError(errors);
  return [...new Set(uris)];
}

function checkAllowedScopes(requested: string[]): string[] {
  const scopes = [...new Set(requested)];
  const unknown = scopes.filter((scope) => !isOAuthScope(scope));
  if (unknown.length > 0) {
    throw new AppError('INVALID_SCOPE', `Unknown scope: ${unknown.join(', ')}`, {
      invalidScopes: unknown,
      errors: unknown.map((scope) => ({ field: 'allowedScopes', error: `${scope} is not a scope`, location: 'body' })),
    });
  }
  return scopes;
}

/** What is stored of a secret: its hash, and its first characters to recognise it by. */
function storedSecret(secret: string): { secretHash: string; secretStart: string } {
  return { secretHash: hashSecret(secret), secretStart: secret.slice(0, SECRET_START_LENGTH) };
}

function newSecret(): { secret: string; secretHash: string; secretStart: string } {
  const secret = `${CLIENT_SECRET_PREFIX}${randomSecret(32)}`;
  return { secret, ...storedSecret(secret) };
}

export interface OAuthAppInput {
  name: string;
  redirectUris: string[];
  type: ClientType;
  allowedScopes: string[];
}

/** The key minting a secret, if a key does: the secret stands only while that key does. */
function mintingKey(principal: AuthenticatedPrincipal): string | null {
  return principal.kind === 'api_key' ? principal.credentialId : null;
}

/**
 * An app is a credential: registered with a key, it is allowed at most the key's scopes and is
 * pinned to the key's organization (DESIGN.md rule 7).
 */
export async function createOAuthApp(ctx: IdentityContext, principal: AuthenticatedPrincipal, input: OAuthAppInput) {
  const redirectUris = checkRedirectUris(input.redirectUris);
  const allowedScopes = checkAllowedScopes(input.allowedScopes);
  checkHeldScopes(principal, allowedScopes, 'an OAuth app');
  const issued = input.type === 'confidential' ? newSecret() : null;
  const app = await commit(ctx, async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`oauth-apps:${principal.userId}`]);
    const count = await em.count(OAuthAppSchema, { ownerUserId: principal.userId });
    if (count >= ctx.config.OAUTH_APPS_MAX_PER_USER) {
      throw conflict('APP_LIMIT', `You already have ${count} OAuth apps; delete one first`);
    }
    const now = new Date();
    return em.create(OAuthAppSchema, {
      id: newOAuthAppId(),
      ownerUserId: principal.userId,
      name: input.name.trim(),
      clientType: input.type,
      redirectUris,
      allowedScopes,
      secretHash: issued?.secretHash ?? null,
      secretStart: issued?.secretStart ?? null,
      secretChangedAt: issued ? now : null,
      tokenAuthMethod: issued ? 'client_secret_basic' : 'none',
      registered: false,
      organizationId: pinOf(principal),
      registeredByKeyId: issued ? mintingKey(principal) : null,
      createdAt: now,
      updatedAt: now,
    });
  });
  return { ...presentOAuthApp(app), clientSecret: issued?.secret ?? null };
}

/** A pinned key sees only the apps pinned to its organization, as it sees only such keys. */
export function appsVisibleTo(principal: AuthenticatedPrincipal): { ownerUserId: string; organizationId?: string } {
  const pin = pinOf(principal);
  return pin ? { ownerUserId: principal.userId, organizationId: pin } : { ownerUserId: principal.userId };
}

async function visibleApp(em: EntityManager, principal: AuthenticatedPrincipal, id: string): Promise<OAuthApp> {
  const app = await em.findOne(OAuthAppSchema, { ...appsVisibleTo(principal), id });
  if (!app) throw notFound('OAuth app not found');
  return app;
}

export async function listOAuthApps(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  query: PageRequest & { q?: string },
) {
  const where: FilterQuery<OAuthApp> = appsVisibleTo(principal);
  if (query.q) where.name = { $ilike: likePattern(query.q) };
  const page = await findPage(readEm(ctx), OAuthAppSchema, where, query, {
    sortable: { createdAt: 'date', name: 'string' },
    defaultSort: '-createdAt',
  });
  return { items: page.items.map(presentOAuthApp), meta: page.meta };
}

export async function getOAuthApp(ctx: IdentityContext, principal: AuthenticatedPrincipal, id: string) {
  return presentOAuthApp(await visibleApp(readEm(ctx), principal, id));
}

export async function updateOAuthApp(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  id: string,
  input: Partial<OAuthAppInput> & { rotateSecret?: boolean },
  requestId: string,
) {
  const redirectUris = input.redirectUris ? checkRedirectUris(input.redirectUris) : undefined;
  const allowedScopes = input.allowedScopes ? checkAllowedScopes(input.allowedScopes) : undefined;
  const { app, issued } = await commit(ctx, async (em) => {
    const found = await visibleApp(em, principal, id);
    // A key manages only an app it could have registered itself.
    checkHeldScopes(principal, allowedScopes ?? found.allowedScopes, 'an OAuth app');
    const type = input.type ?? found.clientType;
    if (input.rotateSecret && type !== 'confidential') {
      throw validationError([
        { field: 'rotateSecret', error: 'only a confidential app has a secret', location: 'body' },
      ]);
    }
    const becameConfidential = type === 'confidential' && found.clientType !== 'confidential';
    const issued = input.rotateSecret || becameConfidential ? newSecret() : null;
    if (input.name !== undefined) found.name = input.name.trim();
    if (redirectUris) found.redirectUris = redirectUris;
    if (allowedScopes) found.allowedScopes = allowedScopes;
    found.clientType = type;
    found.tokenAuthMethod = type === 'confidential' ? 'client_secret_basic' : 'none';
    if (type === 'public') {
      found.secretHash = null;
      found.secretStart = null;
      found.registeredByKeyId = null;
    } else if (issued) {
      found.secretHash = issued.secretHash;
      found.secretStart = issued.secretStart;
      found.secretChangedAt = new Date();
      found.registeredByKeyId = mintingKey(principal);
    }
    found.updatedAt = new Date();
    // Gateways drop their cached answers, so tokens already issued lose at once whatever the
    // app may no longer ask for (identity intersects with the allowed scopes on the next ask).
    announceRevocation(em, { kind: 'oauth', id: found.id, userId: principal.userId }, requestId);
    return { app: found, issued };
  });
  return { ...presentOAuthApp(app), ...(issued ? { clientSecret: issued.secret } : {}) };
}

/** Deletes the app and every grant users gave it; gateways drop its tokens at once. */
export async function deleteOAuthApp(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  id: string,
  requestId: string,
): Promise<void> {
  await commit(ctx, async (em) => {
    const app = await visibleApp(em, principal, id);
    await deleteAppRecords(em, app, requestId);
  });
}

async function deleteAppRecords(em: EntityManager, app: OAuthApp, requestId?: string): Promise<void> {
  await destroyGrants(em, { clientId: app.id }, requestId);
  await em.nativeDelete(OidcPayloadSchema, { clientId: app.id });
  await em.nativeDelete(OAuthAppSchema, { id: app.id });
  if (app.ownerUserId) {
    announceRevocation(em, { kind: 'oauth', id: app.id, userId: app.ownerUserId }, requestId);
  }
}

/** Account deletion: the user's own apps (with every grant to them) and the grants they gave. */
export async function deleteOAuthForUser(em: EntityManager, userId: string, requestId?: string): Promise<void> {
  const apps = await em.find(OAuthAppSchema, { ownerUserId: userId });
  for (const app of apps) await deleteAppRecords(em, app, requestId);
  await destroyGrants(em, { accountId: userId }, requestId);
  await em.nativeDelete(OidcPayloadSchema, { accountId: userId });
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
