import type { DirectoryPrincipal } from '@gatehouse/contracts';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { ScimError } from '../scim/protocol.js';
import { type Directory, DirectorySchema } from './entities.js';

/**
 * The calling directory of a /scim/v2 request. A write locks it first (`forWrite`): the directory's
 * SCIM writes take turns, and always lock the directory before any user or member row
 * (directory-roles/lock.ts says why). The gateway refuses a deleted directory's token; one cached
 * for a few seconds more lands here, as a 404.
 */
export async function scimDirectory(
  em: EntityManager,
  principal: DirectoryPrincipal,
  forWrite = false,
): Promise<Directory> {
  const directory = await em.findOne(
    DirectorySchema,
    { id: principal.directoryId, organizationId: principal.organizationId, deletedAt: null },
    forWrite ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!directory) throw new ScimError(404, 'This directory no longer exists');
  return directory;
}
