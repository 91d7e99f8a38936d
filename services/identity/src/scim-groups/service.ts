import { isDeepStrictEqual } from 'node:util';
import { type DirectoryPrincipal, newId, SCIM_MAX_GROUP_MEMBERS } from '@gatehouse/contracts';
import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { commit, type IdentityContext, readEm } from '../context.js';
import type { Directory } from '../directories/entities.js';
import { scimDirectory } from '../directories/scim-directory.js';
import { noteDirectorySync } from '../directories/sync-time.js';
import { syncMemberships } from '../directory-roles/service.js';
import { projectAttributes } from '../scim/attributes.js';
import { type ScimGroup, ScimGroupSchema } from '../scim/entities.js';
import { findScimPage, listResponse, type ScimPageQuery } from '../scim/list.js';
import { applyScimPatch, type ScimPatchOperation } from '../scim/patch.js';
import { ScimError } from '../scim/protocol.js';
import {
  type GroupAttributes,
  memberIdsOf,
  patchableGroup,
  readGroupAttributes,
  renamedForRoles,
  type ScimGroupBody,
} from './input.js';
import {
  addMembers,
  memberIdsOf as currentMemberIds,
  type GroupMemberRow,
  memberCount,
  membersOf,
  removeAllMembers,
  removeMembers,
  replaceMembers,
  requireLiveUsers,
} from './members.js';
import { type MemberPlan, planGroupPatch } from './patch-plan.js';
import { presentGroup, wantsMembers } from './present.js';

type ReadQuery = { attributes?: string; excludedAttributes?: string };

const notFound = (id: string) => new ScimError(404, `Group ${id} not found`);

async function findGroup(em: EntityManager, directoryId: string, id: string): Promise<ScimGroup> {
  const group = await em.findOne(ScimGroupSchema, { id, directoryId });
  if (!group) throw notFound(id);
  return group;
}

/** displayName (case-insensitively) and externalId are unique in a directory; `exceptId` is the group changed. */
async function requireUniqueGroup(em: EntityManager, directoryId: string, group: GroupAttributes, exceptId: string) {
  const [clash]: Array<{ display_name: string }> = await em.execute(
    `select display_name from scim_groups
      where directory_id = ? and id <> ? and (lower(display_name) = lower(?) or external_id = ?)
      limit 1`,
    [directoryId, exceptId, group.displayName, group.externalId],
  );
  if (!clash) return;
  const what = clash.display_name.toLowerCase() === group.displayName.toLowerCase() ? 'displayName' : 'externalId';
  throw new ScimError(409, `${what} is already used by another group of this directory`, 'uniqueness');
}

/** Two writes at once got past the check: the unique index refused the second, a 409 as well. */
async function unique<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new ScimError(409, 'A group with this displayName or externalId already exists', 'uniqueness');
    }
    throw error;
  }
}

async function answer(ctx: IdentityContext, em: EntityManager, group: ScimGroup) {
  return presentGroup(ctx, group, await membersOf(em, [group.id]));
}

export async function listGroups(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  query: ScimPageQuery & ReadQuery,
) {
  const { directoryId } = principal;
  const em = readEm(ctx);
  const page = await findScimPage(em, 'groups', directoryId, query);
  const found = page.ids.length > 0 ? await em.find(ScimGroupSchema, { id: { $in: page.ids }, directoryId }) : [];
  const byId = new Map(found.map((group) => [group.id, group]));
  const groups = page.ids.flatMap((id) => byId.get(id) ?? []);
  const members = wantsMembers(query) ? groupedBy(await membersOf(em, page.ids)) : null;
  const resources = groups.map((group) =>
    projectAttributes(presentGroup(ctx, group, members ? (members.get(group.id) ?? []) : null), query),
  );
  return listResponse(resources, page);
}

function groupedBy(rows: GroupMemberRow[]): Map<string, GroupMemberRow[]> {
  const byGroup = new Map<string, GroupMemberRow[]>();
  for (const row of rows) {
    const members = byGroup.get(row.group_id);
    if (members) members.push(row);
    else byGroup.set(row.group_id, [row]);
  }
  return byGroup;
}

export async function getGroup(ctx: IdentityContext, principal: DirectoryPrincipal, id: string, query: ReadQuery) {
  const { directoryId } = principal;
  const em = readEm(ctx);
  const group = await findGroup(em, directoryId, id);
  const members = wantsMembers(query) ? await membersOf(em, [group.id]) : null;
  return projectAttributes(presentGroup(ctx, group, members), query);
}

/** Okta and Entra look a group up by name first; a second POST of the same name or externalId is 409. */
export async function createGroup(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  body: ScimGroupBody,
  requestId: string,
) {
  const { directoryId } = principal;
  const attributes = readGroupAttributes(body);
  const memberIds = memberIdsOf(body);
  return unique(() =>
    commit(ctx, async (em) => {
      const directory = await scimDirectory(em, principal, true);
      await requireUniqueGroup(em, directoryId, attributes, '');
      await requireLiveUsers(em, directoryId, memberIds);
      const now = new Date();
      const group = em.create(ScimGroupSchema, {
        id: newId(),
        directoryId,
        ...attributes,
        version: 1,
        createdAt: now,
        updatedAt: now,
      });
      // The row the member rows refer to.
      await em.flush();
      const added = await addMembers(em, group.id, memberIds);
      await noteDirectorySync(em, directoryId);
      await syncMemberships(ctx, em, directory, added, requestId);
      return answer(ctx, em, group);
    }),
  );
}

/**
 * PUT: the name, externalId and other attributes as sent. The members too when `members` is sent
 * (`[]` empties the group); a PUT without it keeps them, so a client renaming with a bare PUT does not
 * take 5,000 people out of their roles.
 */
export async function replaceGroup(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  id: string,
  body: ScimGroupBody,
  requestId: string,
) {
  const { directoryId } = principal;
  const next = readGroupAttributes(body);
  const members: MemberPlan | null = body.members
    ? { replace: memberIdsOf(body), add: new Set(), remove: new Set() }
    : null;
  return unique(() =>
    commit(ctx, async (em) => {
      const directory = await scimDirectory(em, principal, true);
      const group = await findGroup(em, directoryId, id);
      await writeGroup(ctx, em, directory, group, next, members, requestId);
      return answer(ctx, em, group);
    }),
  );
}

/** PATCH (answered 204): attributes through the patch engine, members as one set difference. */
export async function patchGroup(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  id: string,
  operations: ScimPatchOperation[],
  requestId: string,
) {
  const { directoryId } = principal;
  const plan = planGroupPatch(operations);
  await unique(() =>
    commit(ctx, async (em) => {
      const directory = await scimDirectory(em, principal, true);
      const group = await findGroup(em, directoryId, id);
      const next =
        plan.attributes.length > 0
          ? readGroupAttributes(applyScimPatch(patchableGroup(group), plan.attributes))
          : { displayName: group.displayName, externalId: group.externalId, resource: group.resource };
      await writeGroup(ctx, em, directory, group, next, plan.members, requestId);
    }),
  );
}

/** DELETE: the group and its memberships go; its members' roles are recomputed without it. */
export async function deleteGroup(ctx: IdentityContext, principal: DirectoryPrincipal, id: string, requestId: string) {
  const { directoryId } = principal;
  await commit(ctx, async (em) => {
    const directory = await scimDirectory(em, principal, true);
    const group = await findGroup(em, directoryId, id);
    const formerMembers = await removeAllMembers(em, group.id);
    em.remove(group);
    await noteDirectorySync(em, directoryId);
    await syncMemberships(ctx, em, directory, formerMembers, requestId);
  });
}

/**
 * The one write path of PUT and PATCH. Only what changed is written: a retried request finds nothing
 * to do, so no version, no sync time and no events move. Roles are recomputed for exactly the people
 * whose membership changed, and for every member when a rename changes what the role mapping sees.
 */
async function writeGroup(
  ctx: IdentityContext,
  em: EntityManager,
  directory: Directory,
  group: ScimGroup,
  next: GroupAttributes,
  members: MemberPlan | null,
  requestId: string,
) {
  const attributesChanged =
    next.displayName !== group.displayName ||
    next.externalId !== group.externalId ||
    !isDeepStrictEqual(next.resource, group.resource);
  if (attributesChanged) await requireUniqueGroup(em, directory.id, next, group.id);
  const changed = members ? await applyMemberPlan(em, directory.id, group.id, members) : [];
  if (!attributesChanged && changed.length === 0) return;
  const renamed = renamedForRoles(group.displayName, next.displayName);
  Object.assign(group, next, { version: group.version + 1, updatedAt: new Date() });
  await noteDirectorySync(em, directory.id);
  const affected = renamed ? [...changed, ...(await currentMemberIds(em, group.id))] : changed;
  await syncMemberships(ctx, em, directory, affected, requestId);
}

async function applyMemberPlan(em: EntityManager, directoryId: string, groupId: string, plan: MemberPlan) {
  if (plan.replace) {
    await requireLiveUsers(em, directoryId, plan.replace);
    const changed = await replaceMembers(em, groupId, plan.replace);
    return changed;
  }
  await requireLiveUsers(em, directoryId, plan.add);
  const added = await addMembers(em, groupId, plan.add);
  const removed = await removeMembers(em, groupId, plan.remove);
  if (added.length > 0 && (await memberCount(em, groupId)) > SCIM_MAX_GROUP_MEMBERS) {
    throw new ScimError(400, `A group may have at most ${SCIM_MAX_GROUP_MEMBERS} members`, 'invalidValue');
  }
  return [...added, ...removed];
}
