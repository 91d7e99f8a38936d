import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import type { Directory } from '../directories/entities.js';
import { noteDirectorySync } from '../directories/sync-time.js';
import { syncMemberships } from '../directory-roles/service.js';
import type { ScimUser } from '../scim/entities.js';
import { renameOwnedAccount } from './accounts.js';
import { deprovision, reactivate } from './deprovision.js';
import { accountName, type NameParts, type ScimUserFields } from './input.js';
import { requireUniqueNames } from './uniqueness.js';
import { requireVerifiedDomain } from './verified-domain.js';

/**
 * PUT (Okta sends the whole user for every change) and PATCH (applied to the stored user first) write
 * through here. Nothing changed — a retried request — changes nothing: no version bump, no sync.
 * The account keeps its own address: changing it is the person's to prove, not the directory's.
 */
export async function writeScimUser(
  ctx: IdentityContext,
  em: EntityManager,
  directory: Directory,
  row: ScimUser,
  fields: ScimUserFields,
  requestId?: string,
): Promise<void> {
  if (sameAsStored(row, fields)) return;
  if (fields.userName.toLowerCase() !== row.userName.toLowerCase() || fields.externalId !== row.externalId) {
    await requireUniqueNames(em, directory.id, fields, row.id);
  }
  if (fields.email !== row.email) await requireVerifiedDomain(em, directory.organizationId, fields.email);
  const previousName = accountName(row.displayName, row.resource.name as NameParts, row.email);
  const wasActive = row.active;
  Object.assign(row, {
    userName: fields.userName,
    externalId: fields.externalId,
    active: fields.active,
    displayName: fields.displayName,
    givenName: fields.givenName,
    familyName: fields.familyName,
    email: fields.email,
    resource: fields.resource,
    version: row.version + 1,
    updatedAt: new Date(),
  });
  if (row.ownsAccount && fields.fullName !== previousName) await renameOwnedAccount(em, row.userId, fields.fullName);
  if (wasActive && !row.active) await deprovision(ctx, em, directory, row, requestId);
  if (!wasActive && row.active) await reactivate(em, row);
  // syncMemberships reads the rows with SQL: what changed here is written first.
  await em.flush();
  await syncMemberships(ctx, em, directory, [row.id], requestId);
  await noteDirectorySync(em, directory.id);
}

function sameAsStored(row: ScimUser, fields: ScimUserFields): boolean {
  return (
    row.userName === fields.userName &&
    row.externalId === fields.externalId &&
    row.active === fields.active &&
    row.displayName === fields.displayName &&
    row.givenName === fields.givenName &&
    row.familyName === fields.familyName &&
    row.email === fields.email &&
    canonical(row.resource) === canonical(fields.resource)
  );
}

/** JSON with object keys sorted: a PATCH may rebuild the same resource in another key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
