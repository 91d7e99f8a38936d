import { type DirectoryMembershipsChangedData, EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { isReadOnly, recordEvent } from '@gatehouse/service-kit';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import type { Static } from 'typebox';
import type { OrgContext } from '../context.js';
import { type Member, MemberSchema, OrganizationSchema } from '../organizations/entities.js';

type DirectoryChanges = Static<typeof DirectoryMembershipsChangedData>;
type Change = DirectoryChanges['changes'][number];

/**
 * What a customer's directory (identity's SCIM, events.identity.directory.memberships_changed) says
 * about who belongs to an organization, applied as invitations and removals are: member.added,
 * member.role_changed and member.removed follow, so identity's read model, the project service and
 * the gateways learn of it the usual way. Under the organization's row lock, like every membership
 * change, so the last-owner rule sees the roles as they are.
 *
 * Applying a change twice is a no-op (the member already has the role, or is already gone): the
 * consumer's processed_events dedupes redeliveries, and this makes a replayed sync harmless too.
 * An organization that no longer exists has nothing to apply.
 */
export async function applyDirectoryChanges(
  ctx: OrgContext,
  em: EntityManager,
  data: DirectoryChanges,
  requestId?: string,
) {
  const { organizationId } = data;
  const organization = await em.findOne(
    OrganizationSchema,
    { id: organizationId },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  if (!organization || data.changes.length === 0) return;
  const userIds = [...new Set(data.changes.map((change) => change.userId))];
  const members = new Map(
    (await em.find(MemberSchema, { organizationId, userId: { $in: userIds } })).map((member) => [
      member.userId,
      member,
    ]),
  );
  const changes = await withoutReadOnlyAdditions(ctx, em, organizationId, data.changes, members);
  if (changes.length === 0) return;
  await upsertDirectoryUsers(em, changes);
  let owners = await em.count(MemberSchema, { organizationId, role: 'owner' });
  let ownerLeft = false;
  const added = (member: Member) =>
    recordEvent(
      em,
      EVENT_SUBJECTS.memberAdded,
      { organizationId, userId: member.userId, role: member.role },
      requestId,
    );
  const roleChanged = (member: Member, previousRole: Member['role']) =>
    recordEvent(
      em,
      EVENT_SUBJECTS.memberRoleChanged,
      { organizationId, userId: member.userId, role: member.role, previousRole },
      requestId,
    );

  for (const { userId, role, previousRole } of changes) {
    const member = members.get(userId);
    if (role === null) {
      if (!member) continue;
      em.remove(member);
      members.delete(userId);
      recordEvent(em, EVENT_SUBJECTS.memberRemoved, { organizationId, userId, role: member.role }, requestId);
      if (member.role === 'owner') {
        owners -= 1;
        ownerLeft = true;
      }
    } else if (!member) {
      const joined = em.create(MemberSchema, { id: newId(), organizationId, userId, role, joinedAt: new Date() });
      members.set(userId, joined);
      if (role === 'owner') owners += 1;
      added(joined);
    } else if (member.role !== role && mayChangeRole(member.role, previousRole, owners)) {
      owners += (role === 'owner' ? 1 : 0) - (member.role === 'owner' ? 1 : 0);
      const before = member.role;
      member.role = role;
      roleChanged(member, before);
    }
  }
  if (ownerLeft && owners === 0) await promoteHeir(em, organizationId, requestId);
}

/**
 * A read-only organization (billing-plan.md §4) adds no one, whoever the directory names: those additions are
 * dropped (and their names and addresses not stored); role changes and removals still apply. Unknown
 * entitlements (billing unreachable) fail open. Entitlements are read only when there is someone to add.
 */
async function withoutReadOnlyAdditions(
  ctx: OrgContext,
  em: EntityManager,
  organizationId: string,
  changes: readonly Change[],
  members: ReadonlyMap<string, Member>,
): Promise<readonly Change[]> {
  const isAddition = (change: Change) => change.role !== null && !members.has(change.userId);
  const newcomers = new Set(changes.filter(isAddition).map((change) => change.userId)).size;
  if (newcomers === 0 || !isReadOnly(await ctx.entitlements.of(em, organizationId))) return changes;
  ctx.deps.logger.warn(
    { organizationId, skipped: newcomers },
    'directory sync: new members skipped, the organization is read-only',
  );
  return changes.filter((change) => !isAddition(change));
}

/**
 * An owner is demoted only when the directory had made them owner (its previous ask was owner): the
 * founders who set the directory up keep the role whatever the default maps them to, and the last
 * owner keeps it always. Deprovisioning (role null) removes owners like anyone.
 */
function mayChangeRole(current: Member['role'], previousRole: Change['previousRole'], owners: number): boolean {
  if (current !== 'owner') return true;
  return previousRole === 'owner' && owners > 1;
}

/**
 * The directory took the last owner away: the longest-standing remaining member becomes owner, as on
 * an account's deletion. An organization left with no member at all is not deleted here: a directory
 * emptying it (a group push gone wrong, a test tenant) must not destroy its projects; its people can
 * come back with the next sync, and deleting it stays a person's decision.
 */
async function promoteHeir(em: EntityManager, organizationId: string, requestId?: string) {
  await em.flush();
  const heir = await em.findOne(MemberSchema, { organizationId }, { orderBy: { joinedAt: 'asc', id: 'asc' } });
  if (!heir) return;
  const previousRole = heir.role;
  heir.role = 'owner';
  recordEvent(
    em,
    EVENT_SUBJECTS.memberRoleChanged,
    { organizationId, userId: heir.userId, role: 'owner', previousRole },
    requestId,
  );
}

/**
 * The member directory's copy of each person (name and address), in one statement: as
 * directory/service.ts upsertDirectoryUser keeps it (verification, once learnt, is never unlearnt).
 */
async function upsertDirectoryUsers(em: EntityManager, changes: readonly Change[]) {
  // The last word about a person wins, should one event name them twice.
  const people = [...new Map(changes.map((change) => [change.userId, change])).values()].map(
    ({ userId, email, name }) => ({ userId, email, name }),
  );
  await em.execute(
    `insert into directory_users (user_id, email, name, is_verified)
     select p."userId", p.email, p.name, false
       from jsonb_to_recordset(cast(? as jsonb)) as p("userId" text, email text, name text)
     on conflict (user_id) do update set email = excluded.email, name = excluded.name`,
    [JSON.stringify(people)],
  );
}
