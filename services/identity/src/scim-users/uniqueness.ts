import type { EntityManager } from '@mikro-orm/postgresql';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ScimError } from '../scim/protocol.js';

const taken = (what: string) =>
  new ScimError(409, `${what} is already used by another user of this directory`, 'uniqueness');

/**
 * userName (case-insensitively, RFC 7643 §4.1.1) and externalId are unique among the directory's live
 * users; `exceptId` is the user being changed. The partial unique indexes decide a race (see writing()).
 */
export async function requireUniqueNames(
  em: EntityManager,
  directoryId: string,
  names: { userName: string; externalId: string | null },
  exceptId: string | null = null,
): Promise<void> {
  const rows: Array<{ user_name: string; external_id: string | null }> = await em.execute(
    `select user_name, external_id from scim_users
      where directory_id = ? and deleted_at is null and id <> ?
        and (lower(user_name) = lower(?) or external_id = ?)
      limit 1`,
    [directoryId, exceptId ?? '', names.userName, names.externalId],
  );
  const [clash] = rows;
  if (!clash) return;
  throw taken(clash.user_name.toLowerCase() === names.userName.toLowerCase() ? 'userName' : 'externalId');
}

/** One live SCIM user per account in a directory: a second one claiming the address is someone else. */
export async function requireAccountUnlinked(em: EntityManager, directoryId: string, userId: string): Promise<void> {
  const rows: unknown[] = await em.execute(
    'select 1 from scim_users where directory_id = ? and user_id = ? and deleted_at is null limit 1',
    [directoryId, userId],
  );
  if (rows.length > 0) throw taken('The account with this address');
}

/** Two writes at once got past the checks: the unique index refused the second, which is a 409 too. */
export async function writing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new ScimError(409, 'A user with this userName, externalId or address already exists', 'uniqueness');
    }
    throw error;
  }
}
