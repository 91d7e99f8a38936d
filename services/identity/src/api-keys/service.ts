import {
  AppError,
  type AuthenticatedPrincipal,
  conflict,
  EVENT_SUBJECTS,
  isTokenScope,
  newApiKeyId,
  notFound,
  validationError,
} from '@gatehouse/contracts';
import {
  createdWith,
  fieldChanges,
  findPage,
  hashSecret,
  likePattern,
  type PageRequest,
  randomSecret,
  recordActivity,
  sameDigest,
} from '@gatehouse/service-kit';
import { type EntityManager, type FilterQuery, LockMode } from '@mikro-orm/postgresql';
import { commit, type IdentityContext, readEm } from '../context.js';
import { checkHeldScopes, pinOf } from '../credentials/limits.js';
import { announceRevocation } from '../credentials/revocation.js';
import { isMember } from '../memberships/service.js';
import { appsMintedBy } from '../oauth-store/clients.js';
import { checkKeyCreationAllowed } from '../sso-policy/policy.js';
import { type ApiKey, ApiKeySchema, isLiveKey, presentApiKey } from './entities.js';

export const API_KEY_PREFIX = 'ba_';
const START_LENGTH = API_KEY_PREFIX.length + 6;

export interface CreateApiKeyInput {
  name: string;
  expiresIn?: number | null;
  scopes: string[];
  metadata?: { organizationId?: string };
}

function checkScopes(requested: string[]): string[] {
  const scopes = [...new Set(requested)];
  const unknown = scopes.filter((scope) => !isTokenScope(scope));
  if (unknown.length > 0) {
    throw new AppError('INVALID_SCOPE', `Unknown scope: ${unknown.join(', ')}`, {
      invalidScopes: unknown,
      errors: unknown.map((scope) => ({ field: 'scopes', error: `${scope} is not a scope`, location: 'body' })),
    });
  }
  return scopes;
}

/**
 * A key's expiry: within the deployment's bounds, and never after the key creating it. A child
 * without `expiresIn` (or with null) expires with its parent: it is the parent's delegation.
 */
function checkExpiry(ctx: IdentityContext, expiresIn: number | null | undefined, parent: ApiKey | null): Date | null {
  const { API_KEY_MIN_EXPIRES_IN: min, API_KEY_MAX_EXPIRES_IN: max, API_KEY_ALLOW_NO_EXPIRY: allowNone } = ctx.config;
  const ceiling = parent?.expiresAt ?? null;
  if (expiresIn === undefined || expiresIn === null) {
    if (ceiling) return ceiling;
    if (allowNone) return null;
    throw validationError([{ field: 'expiresIn', error: 'is required on this deployment', location: 'body' }]);
  }
  if (expiresIn < min || expiresIn > max) {
    throw validationError([
      { field: 'expiresIn', error: `must be between ${min} and ${max} seconds`, location: 'body' },
    ]);
  }
  const expiresAt = new Date(Date.now() + expiresIn * 1000);
  if (ceiling && expiresAt > ceiling) {
    throw validationError([
      {
        field: 'expiresIn',
        error: `must not outlive the key creating it, which expires at ${ceiling.toISOString()}`,
        location: 'body',
      },
    ]);
  }
  return expiresAt;
}

/** A key creating a key gives it at most its own pin: a pinned key's children inherit the pin. */
function checkCreatorPin(principal: AuthenticatedPrincipal, pin: string | null): string | null {
  const creatorPin = pinOf(principal);
  if (creatorPin && pin && pin !== creatorPin) {
    throw new AppError('FORBIDDEN', 'A pinned key can only create keys pinned to the same organization');
  }
  return pin ?? creatorPin;
}

/**
 * The key creating a key, read under a share lock so it cannot be disabled or deleted (taking
 * its descendants along) while the child is being written.
 */
async function delegatingKey(em: EntityManager, principal: AuthenticatedPrincipal): Promise<ApiKey | null> {
  if (principal.kind !== 'api_key') return null;
  const parent = await em.findOne(
    ApiKeySchema,
    { id: principal.credentialId, userId: principal.userId },
    { lockMode: LockMode.PESSIMISTIC_READ },
  );
  if (!parent || !isLiveKey(parent))
    throw new AppError('INVALID_API_KEY', 'The API key is invalid, expired or revoked');
  return parent;
}

/**
 * The user's live keys, counted no further than the cap: the check reads at most `cap` entries of the
 * enabled keys' index (api_keys_user_enabled_idx, expiry included), however many keys the user kept.
 */
async function liveKeysUpTo(em: EntityManager, userId: string, cap: number): Promise<number> {
  const [row] = await em.execute<Array<{ live: number }>>(
    `select count(*)::int as live from (
       select 1 from api_keys where user_id = ? and enabled and (expires_at is null or expires_at > ?) limit ?
     ) as live_keys`,
    [userId, new Date(), cap],
  );
  return row?.live ?? 0;
}

export async function createApiKey(ctx: IdentityContext, principal: AuthenticatedPrincipal, input: CreateApiKeyInput) {
  const scopes = checkScopes(input.scopes);
  checkHeldScopes(principal, scopes, 'a new key');
  await checkKeyCreationAllowed(ctx, principal);
  const pin = checkCreatorPin(principal, input.metadata?.organizationId ?? null);
  if (pin && !(await isMember(ctx.deps, readEm(ctx), pin, principal.userId))) {
    throw new AppError('FORBIDDEN', 'You are not a member of that organization');
  }
  const key = `${API_KEY_PREFIX}${randomSecret(32)}`;
  const created = await commit(ctx, async (em) => {
    const parent = await delegatingKey(em, principal);
    const expiresAt = checkExpiry(ctx, input.expiresIn, parent);
    // Serialise creations per user so the cap cannot be raced past.
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`api-keys:${principal.userId}`]);
    const cap = ctx.config.API_KEY_MAX_PER_USER;
    if ((await liveKeysUpTo(em, principal.userId, cap)) >= cap) {
      throw conflict('KEY_LIMIT', `You already have ${cap} active API keys, the most allowed; delete one first`);
    }
    const now = new Date();
    const row = em.create(ApiKeySchema, {
      id: newApiKeyId(),
      userId: principal.userId,
      name: input.name.trim(),
      keyHash: hashSecret(key),
      start: key.slice(0, START_LENGTH),
      scopes,
      organizationId: pin,
      parentKeyId: parent?.id ?? null,
      enabled: true,
      expiresAt,
      lastUsedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    recordActivity(em, EVENT_SUBJECTS.identityActivity, {
      action: 'api_key.created',
      organizationId: null,
      userId: principal.userId,
      target: { type: 'api_key', id: row.id, name: row.name },
      changes: createdWith({ scopes, organizationId: pin, expiresAt: expiresAt?.toISOString() ?? null }),
    });
    return row;
  });
  const { id, name, start, metadata, expiresAt, enabled, createdAt } = presentApiKey(created);
  return { id, name, key, start, scopes, metadata, expiresAt, enabled, createdAt };
}

/** A pinned key acting on keys sees only keys pinned to the same organization. */
export function keysVisibleTo(principal: AuthenticatedPrincipal): { userId: string; organizationId?: string } {
  const pin = pinOf(principal);
  return pin ? { userId: principal.userId, organizationId: pin } : { userId: principal.userId };
}

async function visibleKey(
  em: EntityManager,
  principal: AuthenticatedPrincipal,
  id: string,
  lockMode?: LockMode,
): Promise<ApiKey> {
  const key = await em.findOne(ApiKeySchema, { ...keysVisibleTo(principal), id }, { lockMode });
  if (!key) throw notFound('API key not found');
  return key;
}

/** Every key `keyId` delegated to, down the generations. */
async function descendantsOf(em: EntityManager, keyId: string): Promise<ApiKey[]> {
  const rows: Array<{ id: string }> = await em.execute(
    `with recursive lineage (id) as (
       select id from api_keys where parent_key_id = ?
       union all
       select child.id from api_keys child join lineage on child.parent_key_id = lineage.id
     )
     select id from lineage`,
    [keyId],
  );
  return rows.length > 0 ? em.find(ApiKeySchema, { id: { $in: rows.map((row) => row.id) } }) : [];
}

/**
 * Announces that these keys no longer hold, nor the client-credentials tokens of the apps whose
 * secret one of them minted, so every gateway drops them at once.
 */
async function announceKeysRevoked(
  em: EntityManager,
  keys: Array<Pick<ApiKey, 'id' | 'userId'>>,
  requestId?: string,
): Promise<void> {
  for (const key of keys) announceRevocation(em, { kind: 'api_key', id: key.id, userId: key.userId }, requestId);
  const [first] = keys;
  if (!first) return;
  // A key and its descendants are one user's, and so are the apps they minted secrets for.
  const userId = first.userId;
  const apps = await appsMintedBy(
    em,
    keys.map((key) => key.id),
    userId,
  );
  for (const app of apps) announceRevocation(em, { kind: 'oauth', id: app.id, userId }, requestId);
}

export async function listApiKeys(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  query: PageRequest & { q?: string },
) {
  const where: FilterQuery<ApiKey> = keysVisibleTo(principal);
  if (query.q) where.name = { $ilike: likePattern(query.q) };
  const page = await findPage(readEm(ctx), ApiKeySchema, where, query, {
    sortable: { createdAt: 'date', name: 'string', lastUsedAt: 'date' },
    defaultSort: '-createdAt',
  });
  return { items: page.items.map(presentApiKey), meta: page.meta };
}

export async function getApiKey(ctx: IdentityContext, principal: AuthenticatedPrincipal, id: string) {
  return presentApiKey(await visibleKey(readEm(ctx), principal, id));
}

export async function updateApiKey(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  input: { keyId: string; name?: string; enabled?: boolean },
  requestId: string,
) {
  const key = await commit(ctx, async (em) => {
    // Disabling locks the key first, so no child can be created under it meanwhile.
    const found = await visibleKey(
      em,
      principal,
      input.keyId,
      input.enabled === false ? LockMode.PESSIMISTIC_WRITE : undefined,
    );
    const now = new Date();
    const before = { name: found.name, enabled: found.enabled };
    if (input.name !== undefined) found.name = input.name.trim();
    if (input.enabled === false) {
      // Its children are its delegation: they are switched off with it.
      const descendants = await descendantsOf(em, found.id);
      for (const key of [found, ...descendants]) {
        key.enabled = false;
        key.updatedAt = now;
      }
      await announceKeysRevoked(em, [found, ...descendants], requestId);
    } else if (input.enabled === true && !found.enabled) {
      await checkParentEnabled(em, found);
      await checkMaySwitchOn(em, principal, found);
      found.enabled = true;
    }
    found.updatedAt = now;
    recordKeyUpdated(em, found, before);
    return found;
  });
  return presentApiKey(key);
}

/**
 * A rename, or a switch back on, in the account log (switching off is `api_key.revoked`, from its revocation).
 */
function recordKeyUpdated(em: EntityManager, key: ApiKey, before: Pick<ApiKey, 'name' | 'enabled'>): void {
  const changes = { ...fieldChanges(before, key, ['name']) };
  if (!before.enabled && key.enabled) changes.enabled = { before: false, after: true };
  if (Object.keys(changes).length === 0) return;
  recordActivity(em, EVENT_SUBJECTS.identityActivity, {
    action: 'api_key.updated',
    organizationId: null,
    userId: key.userId,
    target: { type: 'api_key', id: key.id, name: key.name },
    changes,
  });
}

/**
 * Switching a key on gives it back all it holds, so a key may do it only for a key it could have
 * created: no scope it lacks, no expiry past its own (a session may switch on any of its keys).
 */
async function checkMaySwitchOn(em: EntityManager, principal: AuthenticatedPrincipal, key: ApiKey): Promise<void> {
  if (principal.kind === 'session') return;
  checkHeldScopes(principal, key.scopes, 'back');
  const caller = await em.findOne(ApiKeySchema, { id: principal.credentialId });
  const ceiling = caller?.expiresAt ?? null;
  if (ceiling && (!key.expiresAt || key.expiresAt > ceiling)) {
    throw new AppError('FORBIDDEN', 'A key cannot switch on a key that outlives it');
  }
}

/** A child cannot be switched back on while the key that delegated to it is off. */
async function checkParentEnabled(em: EntityManager, key: ApiKey): Promise<void> {
  if (!key.parentKeyId) return;
  const parent = await em.findOne(ApiKeySchema, { id: key.parentKeyId }, { lockMode: LockMode.PESSIMISTIC_READ });
  if (parent && !parent.enabled) {
    throw conflict('PARENT_DISABLED', 'The key that created this one is disabled; enable it first');
  }
}

/** Deletes the key and, by the foreign key's cascade, every key it delegated to; all announced. */
export async function deleteApiKey(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  keyId: string,
  requestId: string,
) {
  await commit(ctx, async (em) => {
    const found = await visibleKey(em, principal, keyId, LockMode.PESSIMISTIC_WRITE);
    await announceKeysRevoked(em, [found, ...(await descendantsOf(em, found.id))], requestId);
    em.remove(found);
  });
}

/** Account recovery and deletion: every key of the user goes, each announced with the apps it minted secrets for. */
export async function deleteForUser(em: EntityManager, userId: string, requestId?: string): Promise<void> {
  const keys = await em.find(ApiKeySchema, { userId }, { fields: ['id', 'userId'] });
  if (keys.length === 0) return;
  await announceKeysRevoked(em, keys, requestId);
  await em.nativeDelete(ApiKeySchema, { userId });
}

/** The account export: the keys this credential may list, as the list shows them. */
export async function exportForUser(em: EntityManager, principal: AuthenticatedPrincipal) {
  const keys = await em.find(ApiKeySchema, keysVisibleTo(principal), { orderBy: { id: 'desc' } });
  return keys.map(presentApiKey);
}

/** The key a presented secret names, if it is one of ours and may act now (credential resolution). */
export async function findLiveKeyBySecret(em: EntityManager, secret: string): Promise<ApiKey | null> {
  if (!secret.startsWith(API_KEY_PREFIX)) return null;
  const digest = hashSecret(secret);
  const found = await em.findOne(ApiKeySchema, { keyHash: digest });
  return found && sameDigest(found.keyHash, digest) && isLiveKey(found) ? found : null;
}

/** The user's key by id, if it may act now (a key-minted app secret stands only while it does). */
export async function findLiveKey(em: EntityManager, keyId: string, userId: string): Promise<ApiKey | null> {
  const key = await em.findOne(ApiKeySchema, { id: keyId, userId });
  return key && isLiveKey(key) ? key : null;
}
