import {
  AppError,
  type AuthenticatedPrincipal,
  conflict,
  isTokenScope,
  newApiKeyId,
  notFound,
  validationError,
} from '@gatehouse/contracts';
import { findPage, hashSecret, likePattern, type PageRequest, randomSecret } from '@gatehouse/service-kit';
import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { commit, type IdentityContext, readEm } from '../context.js';
import { announceRevocation } from '../credentials/revocation.js';
import { isMember } from '../memberships/service.js';
import { type ApiKey, ApiKeySchema, presentApiKey } from './entities.js';

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

function checkExpiry(ctx: IdentityContext, expiresIn: number | null | undefined): Date | null {
  const { API_KEY_MIN_EXPIRES_IN: min, API_KEY_MAX_EXPIRES_IN: max, API_KEY_ALLOW_NO_EXPIRY: allowNone } = ctx.config;
  if (expiresIn === undefined || expiresIn === null) {
    if (allowNone) return null;
    throw validationError([{ field: 'expiresIn', error: 'is required on this deployment', location: 'body' }]);
  }
  if (expiresIn < min || expiresIn > max) {
    throw validationError([
      { field: 'expiresIn', error: `must be between ${min} and ${max} seconds`, location: 'body' },
    ]);
  }
  return new Date(Date.now() + expiresIn * 1000);
}

/**
 * A key created by another key can hold no more than its creator: a subset of its scopes
 * and the same organization pin.
 */
function checkCreatorLimits(principal: AuthenticatedPrincipal, scopes: string[], pin: string | null): string | null {
  if (principal.kind === 'session') return pin;
  const held: readonly string[] = principal.scopes;
  const missing = scopes.filter((scope) => !held.includes(scope));
  if (missing.length > 0) {
    throw new AppError('API_KEY_MISSING_SCOPES', 'A key cannot create a key with scopes it does not hold', {
      requiredScopes: missing,
    });
  }
  const creatorPin = principal.organizationId ?? null;
  if (creatorPin && pin && pin !== creatorPin) {
    throw new AppError('FORBIDDEN', 'A pinned key can only create keys pinned to the same organization');
  }
  return pin ?? creatorPin;
}

export async function createApiKey(ctx: IdentityContext, principal: AuthenticatedPrincipal, input: CreateApiKeyInput) {
  const scopes = checkScopes(input.scopes);
  const expiresAt = checkExpiry(ctx, input.expiresIn);
  const pin = checkCreatorLimits(principal, scopes, input.metadata?.organizationId ?? null);
  if (pin && !(await isMember(ctx.deps, readEm(ctx), pin, principal.userId))) {
    throw new AppError('FORBIDDEN', 'You are not a member of that organization');
  }
  const key = `${API_KEY_PREFIX}${randomSecret(32)}`;
  const created = await commit(ctx, async (em) => {
    // Serialise creations per user so the cap cannot be raced past.
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`api-keys:${principal.userId}`]);
    const live = await em.count(ApiKeySchema, {
      userId: principal.userId,
      enabled: true,
      $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }],
    });
    if (live >= ctx.config.API_KEY_MAX_PER_USER) {
      throw conflict('KEY_LIMIT', `You already have ${live} active API keys; delete one first`);
    }
    const now = new Date();
    return em.create(ApiKeySchema, {
      id: newApiKeyId(),
      userId: principal.userId,
      name: input.name.trim(),
      keyHash: hashSecret(key),
      start: key.slice(0, START_LENGTH),
      scopes,
      organizationId: pin,
      enabled: true,
      expiresAt,
      lastUsedAt: null,
      createdAt: now,
      updatedAt: now,
    });
  });
  const { id, name, start, metadata, enabled, createdAt } = presentApiKey(created);
  return { id, name, key, start, scopes, metadata, expiresAt: expiresAt?.toISOString() ?? null, enabled, createdAt };
}

async function ownKey(em: EntityManager, userId: string, id: string): Promise<ApiKey> {
  const key = await em.findOne(ApiKeySchema, { id, userId });
  if (!key) throw notFound('API key not found');
  return key;
}

/** A pinned key acting on keys sees only keys pinned to the same organization. */
function visibleTo(principal: AuthenticatedPrincipal): FilterQuery<ApiKey> {
  const where: FilterQuery<ApiKey> = { userId: principal.userId };
  if (principal.kind !== 'session' && principal.organizationId)
    return { ...where, organizationId: principal.organizationId };
  return where;
}

export async function listApiKeys(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  query: PageRequest & { q?: string },
) {
  const where = visibleTo(principal) as Record<string, unknown>;
  if (query.q) where.name = { $ilike: likePattern(query.q) };
  const page = await findPage(readEm(ctx), ApiKeySchema, where as FilterQuery<ApiKey>, query, {
    sortable: { createdAt: 'date', name: 'string', lastUsedAt: 'date' },
    defaultSort: '-createdAt',
  });
  return { items: page.items.map(presentApiKey), meta: page.meta };
}

export async function getApiKey(ctx: IdentityContext, principal: AuthenticatedPrincipal, id: string) {
  const key = await readEm(ctx).findOne(ApiKeySchema, { ...(visibleTo(principal) as object), id });
  if (!key) throw notFound('API key not found');
  return presentApiKey(key);
}

export async function updateApiKey(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  input: { keyId: string; name?: string; enabled?: boolean },
  requestId: string,
) {
  const key = await commit(ctx, async (em) => {
    const found = await ownKey(em, principal.userId, input.keyId);
    if (principal.kind !== 'session' && principal.organizationId && found.organizationId !== principal.organizationId) {
      throw notFound('API key not found');
    }
    if (input.name !== undefined) found.name = input.name.trim();
    if (input.enabled !== undefined && input.enabled !== found.enabled) {
      found.enabled = input.enabled;
      if (!input.enabled) {
        announceRevocation(em, { kind: 'api_key', id: found.id, userId: found.userId }, requestId);
      }
    }
    found.updatedAt = new Date();
    return found;
  });
  return presentApiKey(key);
}

export async function deleteApiKey(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  keyId: string,
  requestId: string,
) {
  await commit(ctx, async (em) => {
    const found = await ownKey(em, principal.userId, keyId);
    if (principal.kind !== 'session' && principal.organizationId && found.organizationId !== principal.organizationId) {
      throw notFound('API key not found');
    }
    announceRevocation(em, { kind: 'api_key', id: found.id, userId: found.userId }, requestId);
    em.remove(found);
  });
}
