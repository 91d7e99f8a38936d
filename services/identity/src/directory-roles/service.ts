import { DIRECTORY_CHANGES_PER_EVENT, EVENT_SUBJECTS, type Role } from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import { lockDirectory } from './lock.js';
import { chunked, type DirectoryRoleSettings, ROLES_BY_RANK, rankedMapping, roleRank } from './roles.js';

interface ChangedRow {
  id: string;
  user_id: string;
  role: Role | null;
  previous_role: Role | null;
  email: string;
  full_name: string;
}

/** rank → role in SQL, from the one ordering in roles.ts (constants only: nothing from a request). */
const RANK_TO_ROLE = ROLES_BY_RANK.map((role, index) => `when ${index + 1} then '${role}'`).join(' ');

/**
 * One statement for any number of people (a 5,000-member group push is one round trip): each one's
 * wanted role (roles.ts `wantedRole`, in SQL), written where it differs from `scim_users.role`, the
 * changed rows returned with the account's address and name for organization's member directory.
 */
const SYNC_SQL = (onlySome: boolean) => `
  with mapping as (
    select m."group" as grp, m.rank from jsonb_to_recordset(cast(? as jsonb)) as m("group" text, rank int)
  ),
  targets as (
    select u.id, u.active, u.deleted_at, u.role as previous_role
    from ${onlySome ? 'jsonb_array_elements_text(cast(? as jsonb)) as listed (id) join scim_users u on u.id = listed.id' : 'scim_users u'}
    where u.directory_id = ?
  ),
  best as (
    select gm.scim_user_id, max(m.rank) as rank
    from targets t
    join scim_group_members gm on gm.scim_user_id = t.id
    join scim_groups g on g.id = gm.group_id and g.directory_id = ?
    join mapping m on m.grp = lower(g.display_name)
    group by gm.scim_user_id
  ),
  wanted as (
    select t.id, t.previous_role,
      case when t.active and t.deleted_at is null then case coalesce(b.rank, ?) ${RANK_TO_ROLE} end end as role
    from targets t left join best b on b.scim_user_id = t.id
  )
  update scim_users u set role = w.role
  from wanted w, users a
  where u.id = w.id and a.id = u.user_id and u.role is distinct from w.role
  returning u.id, u.user_id, u.role, w.previous_role, a.email, a.full_name`;

/**
 * Brings the organization's memberships in line with the directory for these SCIM users (or every
 * user of the directory): each one's wanted role is null when inactive or deleted, else the highest
 * role its mapped groups give, else the directory's default. Where it differs from `scim_users.role`,
 * the row is updated and the change recorded in `events.identity.directory.memberships_changed`
 * (at most DIRECTORY_CHANGES_PER_EVENT per event), in the caller's transaction. Returns how many changed.
 *
 * The directory's row is locked first: two SCIM writes of one directory (a group PATCH and a user's
 * deactivation, say) then compute roles one after the other, each seeing what the other committed.
 */
export async function syncMemberships(
  _ctx: IdentityContext,
  em: EntityManager,
  directory: DirectoryRoleSettings,
  scimUserIds: readonly string[] | 'all',
  requestId?: string,
): Promise<number> {
  if (scimUserIds !== 'all' && scimUserIds.length === 0) return 0;
  // Whatever the caller created or changed through the ORM must be in the tables the statement reads.
  await em.flush();
  // A deleted directory's people keep their memberships as they are (directories contract): nothing syncs.
  if (!(await lockDirectory(em, directory.id))) return 0;
  const onlySome = scimUserIds !== 'all';
  const params: unknown[] = [JSON.stringify(rankedMapping(directory.roleMapping))];
  if (onlySome) params.push(JSON.stringify([...new Set(scimUserIds)]));
  params.push(directory.id, directory.id, roleRank(directory.defaultRole));
  const changed: ChangedRow[] = await em.execute(SYNC_SQL(onlySome), params);
  // Stable order, so a replayed sync would name the same people in the same events.
  changed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const changes of chunked(changed, DIRECTORY_CHANGES_PER_EVENT)) {
    recordEvent(
      em,
      EVENT_SUBJECTS.directoryMembershipsChanged,
      {
        directoryId: directory.id,
        organizationId: directory.organizationId,
        changes: changes.map((row) => ({
          userId: row.user_id,
          role: row.role,
          previousRole: row.previous_role,
          email: row.email,
          name: row.full_name,
        })),
      },
      requestId,
    );
  }
  return changed.length;
}
