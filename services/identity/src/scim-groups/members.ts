import type { EntityManager } from '@mikro-orm/postgresql';
import { ScimError } from '../scim/protocol.js';

/**
 * A group's members as set differences in bulk SQL: one statement per change however many people it
 * names (a 5,000-member push is not 5,000 inserts), each answering exactly who changed, so only
 * their roles are recomputed and a retried request changes nothing.
 */

/**
 * Ids travel as one JSON parameter (no statement grows with the member count, nor its parameter list),
 * read as a table and joined: `id in (subquery)` can be planned as a rescan per row (25M comparisons
 * for 5,000 against 5,000) while the statistics of fresh rows are unknown; a join is hashed or indexed.
 */
const IDS = 'jsonb_array_elements_text(cast(? as jsonb)) as listed (id)';
const idsParam = (ids: Iterable<string>) => JSON.stringify([...new Set(ids)]);

/** Members are this directory's live users; any other id is named in a 400 (a few, not 5,000). */
export async function requireLiveUsers(em: EntityManager, directoryId: string, ids: ReadonlySet<string>) {
  if (ids.size === 0) return;
  const rows: Array<{ id: string }> = await em.execute(
    `select u.id from ${IDS} join scim_users u on u.id = listed.id where u.directory_id = ? and u.deleted_at is null`,
    [idsParam(ids), directoryId],
  );
  if (rows.length === ids.size) return;
  const known = new Set(rows.map((row) => row.id));
  const unknown = [...ids].filter((id) => !known.has(id));
  const named = unknown
    .slice(0, 5)
    .map((id) => `"${id}"`)
    .join(', ');
  const more = unknown.length > 5 ? ` and ${unknown.length - 5} more` : '';
  throw new ScimError(400, `No user of this directory has the id ${named}${more}`, 'invalidValue');
}

/** Adds those not yet in; answers who was added. */
export async function addMembers(em: EntityManager, groupId: string, ids: ReadonlySet<string>): Promise<string[]> {
  if (ids.size === 0) return [];
  const rows: Array<{ scim_user_id: string }> = await em.execute(
    `insert into scim_group_members (group_id, scim_user_id)
     select ?, listed.id from ${IDS}
     on conflict do nothing returning scim_user_id`,
    [groupId, idsParam(ids)],
  );
  return rows.map((row) => row.scim_user_id);
}

/** Removes those in; answers who was removed (an id not in the group is no error: a retry finds it gone). */
export async function removeMembers(em: EntityManager, groupId: string, ids: ReadonlySet<string>): Promise<string[]> {
  if (ids.size === 0) return [];
  const rows: Array<{ scim_user_id: string }> = await em.execute(
    `delete from scim_group_members gm using ${IDS}
      where gm.group_id = ? and gm.scim_user_id = listed.id returning gm.scim_user_id`,
    [idsParam(ids), groupId],
  );
  return rows.map((row) => row.scim_user_id);
}

/** Makes the members exactly `ids`: removes the others, adds the missing; answers everyone who changed. */
export async function replaceMembers(em: EntityManager, groupId: string, ids: ReadonlySet<string>): Promise<string[]> {
  const removed: Array<{ scim_user_id: string }> = await em.execute(
    `delete from scim_group_members gm
      where gm.group_id = ? and not exists (select 1 from ${IDS} where listed.id = gm.scim_user_id)
      returning gm.scim_user_id`,
    [groupId, idsParam(ids)],
  );
  return [...removed.map((row) => row.scim_user_id), ...(await addMembers(em, groupId, ids))];
}

/** Empties the group (it is being deleted): answers who was in it. */
export async function removeAllMembers(em: EntityManager, groupId: string): Promise<string[]> {
  const rows: Array<{ scim_user_id: string }> = await em.execute(
    'delete from scim_group_members where group_id = ? returning scim_user_id',
    [groupId],
  );
  return rows.map((row) => row.scim_user_id);
}

/** Every member's id (a rename changes the role the group maps to, so all of them are recomputed). */
export async function memberIdsOf(em: EntityManager, groupId: string): Promise<string[]> {
  const rows: Array<{ scim_user_id: string }> = await em.execute(
    'select scim_user_id from scim_group_members where group_id = ?',
    [groupId],
  );
  return rows.map((row) => row.scim_user_id);
}

export async function memberCount(em: EntityManager, groupId: string): Promise<number> {
  const [row]: Array<{ count: string }> = await em.execute(
    'select count(*) as count from scim_group_members where group_id = ?',
    [groupId],
  );
  return Number(row?.count ?? 0);
}

export interface GroupMemberRow {
  group_id: string;
  scim_user_id: string;
  user_name: string;
  display_name: string | null;
}

/** The live members of these groups, for answers (deleted users are tombstones: never shown). */
export async function membersOf(em: EntityManager, groupIds: readonly string[]): Promise<GroupMemberRow[]> {
  if (groupIds.length === 0) return [];
  return em.execute(
    `select gm.group_id, gm.scim_user_id, u.user_name, u.display_name
       from ${IDS}
       join scim_group_members gm on gm.group_id = listed.id
       join scim_users u on u.id = gm.scim_user_id and u.deleted_at is null
      order by gm.group_id, gm.scim_user_id`,
    [idsParam(groupIds)],
  );
}
