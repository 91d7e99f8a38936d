import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Serialises a directory's SCIM writes (until the transaction ends): roles are computed from group
 * memberships and user states other writes may be changing, so each write takes its turn. Take it
 * first in a write's transaction, before touching scim_users or scim_group_members rows: a write
 * that locks rows first and the directory later can deadlock with one that did it the other way
 * round. Answers whether the directory is live (a deleted one syncs nothing).
 */
export async function lockDirectory(em: EntityManager, directoryId: string): Promise<boolean> {
  const rows: unknown[] = await em.execute(
    'select id from directories where id = ? and deleted_at is null for update',
    [directoryId],
  );
  return rows.length > 0;
}
