import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { type Directory, DirectorySchema } from '../directories/entities.js';
import { ScimError } from '../scim/protocol.js';

/**
 * The request's directory, locked for the transaction: a directory's SCIM writes take turns
 * (directory-roles/lock.ts says why), and this is the first thing each group write does.
 */
export async function lockedDirectory(em: EntityManager, directoryId: string): Promise<Directory> {
  const directory = await em.findOne(
    DirectorySchema,
    { id: directoryId, deletedAt: null },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  // The gateway refuses a deleted directory's token; one cached for a few seconds more lands here.
  if (!directory) throw new ScimError(404, 'This directory no longer exists');
  return directory;
}
