import {
  AppError,
  type AuthenticatedPrincipal,
  conflict,
  EVENT_SUBJECTS,
  type FieldError,
  isOAuthScope,
  notFound,
  validationError,
} from '@gatehouse/contracts';
import {
  type Changes,
  createdWith,
  fieldChanges,
  findPage,
  likePattern,
  type PageRequest,
  recordActivity,
} from '@gatehouse/service-kit';
import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { commit, type IdentityContext, readEm } from '../context.js';
import { checkHeldScopes, pinOf } from '../credentials/limits.js';
import { announceRevocation } from '../credentials/revocation.js';
import { newOAuthAppId, newSecret, redirectUriProblem } from '../oauth-store/clients.js';
import { type ClientType, type OAuthApp, OAuthAppSchema } from '../oauth-store/entities.js';
import { deleteRecords, destroyGrants } from '../oauth-store/grants.js';
import { presentOAuthApp } from './present.js';

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
 * pinned to the key's organization (docs/oauth.md "Credential rules").
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
    const row = em.create(OAuthAppSchema, {
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
    recordAppActivity(em, 'oauth_app.created', row, createdWith(pick(row, SHOWN_FIELDS)));
    return row;
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
    const before = pick(found, SHOWN_FIELDS);
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
    const changes = fieldChanges(before, pick(found, SHOWN_FIELDS), SHOWN_FIELDS);
    if (changes) recordAppActivity(em, 'oauth_app.updated', found, changes);
    if (issued) recordAppActivity(em, 'oauth_app.secret_rotated', found);
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
    recordAppActivity(em, 'oauth_app.deleted', app);
  });
}

/** What an app's record may show of it: everything but its secret. */
const SHOWN_FIELDS = ['name', 'clientType', 'redirectUris', 'allowedScopes', 'organizationId'] as const;

function pick<T extends object, K extends keyof T>(row: T, fields: readonly K[]): Pick<T, K> {
  return Object.fromEntries(fields.map((field) => [field, row[field]])) as Pick<T, K>;
}

/** The owner's account log; the app is named by its client id. */
function recordAppActivity(
  em: EntityManager,
  action: 'oauth_app.created' | 'oauth_app.updated' | 'oauth_app.secret_rotated' | 'oauth_app.deleted',
  app: OAuthApp,
  changes?: Changes,
): void {
  if (!app.ownerUserId) return;
  recordActivity(em, EVENT_SUBJECTS.identityActivity, {
    action,
    organizationId: null,
    userId: app.ownerUserId,
    target: { type: 'oauth_app', id: app.id, name: app.name },
    ...(changes && { changes }),
  });
}

async function deleteAppRecords(em: EntityManager, app: OAuthApp, requestId?: string): Promise<void> {
  await destroyGrants(em, { clientId: app.id }, requestId);
  await deleteRecords(em, { clientId: app.id });
  await em.nativeDelete(OAuthAppSchema, { id: app.id });
  if (app.ownerUserId) {
    announceRevocation(em, { kind: 'oauth', id: app.id, userId: app.ownerUserId }, requestId);
  }
}

/** Account deletion: the user's own apps (with every grant to them) and the grants they gave. */
export async function deleteForUser(em: EntityManager, userId: string, requestId?: string): Promise<void> {
  const apps = await em.find(OAuthAppSchema, { ownerUserId: userId });
  for (const app of apps) await deleteAppRecords(em, app, requestId);
  await destroyGrants(em, { accountId: userId }, requestId);
  await deleteRecords(em, { accountId: userId });
}

/** The account export: the apps this credential may list, as the list shows them. */
export async function exportForUser(em: EntityManager, principal: AuthenticatedPrincipal) {
  const apps = await em.find(OAuthAppSchema, appsVisibleTo(principal), { orderBy: { createdAt: 'desc' } });
  return apps.map(presentOAuthApp);
}
