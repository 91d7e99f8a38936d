import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import type { Directory } from '../directories/entities.js';
import { noteDirectorySync } from '../directories/sync-time.js';
import { syncMemberships } from '../directory-roles/service.js';
import type { ScimUser } from '../scim/entities.js';
import { deprovision } from './deprovision.js';

/**
 * DELETE /Users/:id: the person is deprovisioned (again, if they were inactive: nothing pinned may have
 * survived) and leaves their groups; the row stays as a tombstone that every read skips (retention
 * purges it after 30 days: definition.ts), so meanwhile the account it created is still known as the
 * directory's if the same person is provisioned again.
 */
export async function deleteScimUser(
  ctx: IdentityContext,
  em: EntityManager,
  directory: Directory,
  row: ScimUser,
  requestId?: string,
): Promise<void> {
  const now = new Date();
  row.deletedAt = now;
  row.updatedAt = now;
  await em.execute('delete from scim_group_members where scim_user_id = ?', [row.id]);
  await deprovision(ctx, em, directory, row, requestId);
  await em.flush();
  await syncMemberships(ctx, em, directory, [row.id], requestId);
  await noteDirectorySync(em, directory.id);
}
