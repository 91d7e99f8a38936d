import { newId } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import type { Directory } from '../directories/entities.js';
import { noteDirectorySync } from '../directories/sync-time.js';
import { syncMemberships } from '../directory-roles/service.js';
import { type ScimUser, ScimUserSchema } from '../scim/entities.js';
import { accountFor } from './accounts.js';
import type { ScimUserFields } from './input.js';
import { requireUniqueNames } from './uniqueness.js';
import { requireVerifiedDomain } from './verified-domain.js';

/**
 * POST /Users: the same userName or externalId again is 409 `uniqueness` (RFC 7644 §3.3), which is how
 * Okta and Entra learn to look the user up instead. The person becomes a member with the role their
 * groups map to (none yet: the default role) through syncMemberships, in this transaction.
 */
export async function provisionScimUser(
  ctx: IdentityContext,
  em: EntityManager,
  directory: Directory,
  fields: ScimUserFields,
  passwordHash: string,
  requestId?: string,
): Promise<ScimUser> {
  await requireUniqueNames(em, directory.id, fields);
  await requireVerifiedDomain(em, directory.organizationId, fields.email);
  const account = await accountFor(ctx, em, directory.id, fields, passwordHash, requestId);
  const now = new Date();
  const row = em.create(ScimUserSchema, {
    id: newId(),
    directoryId: directory.id,
    userId: account.userId,
    userName: fields.userName,
    externalId: fields.externalId,
    active: fields.active,
    displayName: fields.displayName,
    givenName: fields.givenName,
    familyName: fields.familyName,
    email: fields.email,
    resource: fields.resource,
    ownsAccount: account.ownsAccount,
    role: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  });
  // syncMemberships reads the row with SQL.
  await em.flush();
  await syncMemberships(ctx, em, directory, [row.id], requestId);
  await noteDirectorySync(em, directory.id);
  return row;
}
