import {
  conflict,
  DIRECTORY_TOKEN_OVERLAP_SECONDS,
  EVENT_SUBJECTS,
  newId,
  notFound,
  type Role,
  validationError,
} from '@gatehouse/contracts';
import {
  type Changes,
  createdWith,
  fieldChanges,
  findPage,
  type PageRequest,
  recordActivity,
  type TenantAccess,
} from '@gatehouse/service-kit';
import { type EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { commit, type IdentityContext, readEm } from '../context.js';
import { syncMemberships } from '../directory-roles/service.js';
import { type Directory, DirectorySchema, type GroupRoleRule } from './entities.js';
import { presentDirectory } from './present.js';
import { announceTokenChange, endTokens, issueDirectoryToken, liveTokensOf } from './tokens.js';

export interface DirectoryInput {
  name?: string;
  defaultRole?: Role;
  roleMapping?: GroupRoleRule[];
}

/** One rule per group: two roles for the same group (in any case) would make the mapping ambiguous. */
function checkRoleMapping(mapping: GroupRoleRule[] | undefined): GroupRoleRule[] | undefined {
  if (!mapping) return undefined;
  const seen = new Set<string>();
  mapping.forEach((rule, index) => {
    const key = rule.group.trim().toLowerCase();
    if (seen.has(key)) {
      throw validationError([
        { field: `roleMapping.${index}.group`, error: 'names a group already mapped', location: 'body' },
      ]);
    }
    seen.add(key);
  });
  return mapping.map(({ group, role }) => ({ group: group.trim(), role }));
}

export async function createDirectory(
  ctx: IdentityContext,
  tenant: TenantAccess,
  input: DirectoryInput & { name: string },
) {
  const roleMapping = checkRoleMapping(input.roleMapping) ?? [];
  return commit(ctx, async (em) => {
    // One live directory per organization: two would each decide the same people's roles and accounts.
    if (await em.count(DirectorySchema, { organizationId: tenant.organizationId, deletedAt: null })) {
      throw ONE_DIRECTORY();
    }
    const now = new Date();
    const directory = em.create(DirectorySchema, {
      id: newId(),
      organizationId: tenant.organizationId,
      name: input.name.trim(),
      defaultRole: input.defaultRole ?? 'member',
      roleMapping,
      createdByUserId: tenant.principal.userId,
      lastSyncAt: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    });
    await em.flush().catch((error: unknown) => {
      throw error instanceof UniqueConstraintViolationException ? ONE_DIRECTORY() : error;
    });
    const { token } = await issueDirectoryToken(em, directory.id, tenant.principal.userId);
    recordDirectoryActivity(
      em,
      'directory.created',
      directory,
      createdWith({ name: directory.name, defaultRole: directory.defaultRole, roleMapping }),
    );
    return { directory: await presentDirectory(ctx, em, directory), token };
  });
}

/** The organization's log, in the caller's transaction (the directory's name and settings, never a token). */
function recordDirectoryActivity(
  em: EntityManager,
  action: 'directory.created' | 'directory.updated' | 'directory.token_rotated' | 'directory.deleted',
  directory: Directory,
  changes?: Changes,
): void {
  recordActivity(em, EVENT_SUBJECTS.identityActivity, {
    action,
    organizationId: directory.organizationId,
    userId: null,
    target: { type: 'directory', id: directory.id, name: directory.name },
    ...(changes && { changes }),
  });
}

const SHOWN_FIELDS = ['name', 'defaultRole', 'roleMapping'] as const;

const ONE_DIRECTORY = () =>
  conflict('DIRECTORY_EXISTS', 'This organization already has a directory: rotate its token or delete it first');

/**
 * organization.deleted: its directories end with it (tokens refused on every gateway at once); the
 * accounts they created stay, as on a directory's deletion. Runs in the membership consumer's transaction.
 */
export async function forgetOrganizationDirectories(em: EntityManager, organizationId: string): Promise<void> {
  const directories = await em.find(DirectorySchema, { organizationId, deletedAt: null });
  for (const directory of directories) {
    endTokens(em, await liveTokensOf(em, directory.id));
    directory.deletedAt = new Date();
    directory.updatedAt = directory.deletedAt;
  }
}

export async function listDirectories(ctx: IdentityContext, tenant: TenantAccess, query: PageRequest) {
  const em = readEm(ctx);
  const page = await findPage(em, DirectorySchema, { organizationId: tenant.organizationId, deletedAt: null }, query, {
    sortable: { createdAt: 'date', name: 'string' },
    defaultSort: 'createdAt',
  });
  const items = [];
  for (const directory of page.items) items.push(await presentDirectory(ctx, em, directory));
  return { items, meta: page.meta };
}

/** A deleted directory, or another organization's, is not found. */
async function directoryOf(em: EntityManager, tenant: TenantAccess, directoryId: string, lock = false) {
  const directory = await em.findOne(
    DirectorySchema,
    { id: directoryId, organizationId: tenant.organizationId, deletedAt: null },
    lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!directory) throw notFound('Directory not found');
  return directory;
}

export async function getDirectory(ctx: IdentityContext, tenant: TenantAccess, directoryId: string) {
  const em = readEm(ctx);
  return presentDirectory(ctx, em, await directoryOf(em, tenant, directoryId));
}

/** A new mapping or default role applies at once: everyone's role is recomputed in the same transaction. */
export async function updateDirectory(
  ctx: IdentityContext,
  tenant: TenantAccess,
  directoryId: string,
  input: DirectoryInput,
  requestId?: string,
) {
  const roleMapping = checkRoleMapping(input.roleMapping);
  return commit(ctx, async (em) => {
    const directory = await directoryOf(em, tenant, directoryId, true);
    const before = { name: directory.name, defaultRole: directory.defaultRole, roleMapping: directory.roleMapping };
    if (input.name !== undefined) directory.name = input.name.trim();
    if (input.defaultRole !== undefined) directory.defaultRole = input.defaultRole;
    if (roleMapping !== undefined) directory.roleMapping = roleMapping;
    directory.updatedAt = new Date();
    await em.flush();
    const changes = fieldChanges(before, directory, SHOWN_FIELDS);
    if (changes) recordDirectoryActivity(em, 'directory.updated', directory, changes);
    if (input.defaultRole !== undefined || roleMapping !== undefined) {
      await syncMemberships(ctx, em, directory, 'all', requestId);
    }
    return presentDirectory(ctx, em, directory);
  });
}

/**
 * Its tokens end at once (and every gateway forgets them); the people it provisioned keep their
 * accounts and memberships. The rows stay 30 days for retention to purge.
 */
export async function deleteDirectory(
  ctx: IdentityContext,
  tenant: TenantAccess,
  directoryId: string,
  requestId?: string,
) {
  await commit(ctx, async (em) => {
    const directory = await directoryOf(em, tenant, directoryId, true);
    endTokens(em, await liveTokensOf(em, directory.id), requestId);
    directory.deletedAt = new Date();
    directory.updatedAt = directory.deletedAt;
    recordDirectoryActivity(em, 'directory.deleted', directory);
  });
}

/**
 * A new token; the current one keeps working `overlapSeconds` more (time to paste the new one into
 * the IdP), any older one ends now. The directory row is locked so two rotations do not interleave.
 */
export async function rotateDirectoryToken(
  ctx: IdentityContext,
  tenant: TenantAccess,
  directoryId: string,
  overlapSeconds = DIRECTORY_TOKEN_OVERLAP_SECONDS,
  requestId?: string,
) {
  return commit(ctx, async (em) => {
    const directory = await directoryOf(em, tenant, directoryId, true);
    const [current, ...older] = await liveTokensOf(em, directory.id);
    endTokens(em, older, requestId);
    if (current && overlapSeconds === 0) endTokens(em, [current], requestId);
    else if (current) {
      const end = new Date(Date.now() + overlapSeconds * 1000);
      if (!current.expiresAt || current.expiresAt > end) current.expiresAt = end;
      // A gateway may keep an answer cached CREDENTIAL_CACHE_SECONDS from before it had an end: a shorter overlap purges it.
      if (overlapSeconds < ctx.config.CREDENTIAL_CACHE_SECONDS) announceTokenChange(em, current, requestId);
    }
    const { token } = await issueDirectoryToken(em, directory.id, tenant.principal.userId);
    directory.updatedAt = new Date();
    await em.flush();
    recordDirectoryActivity(em, 'directory.token_rotated', directory, {
      overlapSeconds: { after: current ? overlapSeconds : 0 },
    });
    return { directory: await presentDirectory(ctx, em, directory), token };
  });
}

/** Every token ends now: sync stops until a rotation issues a new one. */
export async function revokeDirectoryTokens(
  ctx: IdentityContext,
  tenant: TenantAccess,
  directoryId: string,
  requestId?: string,
) {
  return commit(ctx, async (em) => {
    const directory = await directoryOf(em, tenant, directoryId, true);
    const live = await liveTokensOf(em, directory.id);
    endTokens(em, live, requestId);
    directory.updatedAt = new Date();
    await em.flush();
    // Every token ended and none issued: a rotation to nothing (the catalogue has no action of its own).
    recordDirectoryActivity(em, 'directory.token_rotated', directory, {
      liveTokens: { before: live.length, after: 0 },
    });
    return presentDirectory(ctx, em, directory);
  });
}
