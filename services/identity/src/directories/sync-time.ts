import type { EntityManager } from '@mikro-orm/postgresql';

/** Notes that a SCIM write changed something in the directory (the console's "last sync"). */
export async function noteDirectorySync(em: EntityManager, directoryId: string): Promise<void> {
  await em.execute('update directories set last_sync_at = now() where id = ?', [directoryId]);
}
