import type { DirectoryPrincipal, ScimPatchInput } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Static } from 'typebox';
import { commit, type IdentityContext, readEm } from '../context.js';
import type { Directory } from '../directories/entities.js';
import { scimDirectory } from '../directories/scim-directory.js';
import { projectAttributes } from '../scim/attributes.js';
import { type ScimUser, ScimUserSchema } from '../scim/entities.js';
import { findScimPage, listResponse, type ScimPageQuery } from '../scim/list.js';
import { applyScimPatch } from '../scim/patch.js';
import { ScimError } from '../scim/protocol.js';
import { unusablePasswordHash } from './accounts.js';
import { deleteScimUser } from './deletion.js';
import { checkUserBody, readUserInput, type ScimUserBody, storedAsBody } from './input.js';
import { groupsOf, presentScimUser } from './present.js';
import { provisionScimUser } from './provisioning.js';
import { writing } from './uniqueness.js';
import { writeScimUser } from './updates.js';

export interface AttributeQuery {
  attributes?: string;
  excludedAttributes?: string;
}

/**
 * A live user of this directory (tombstones and other directories' users are not found). Not locked: the
 * directory's lock already serialises its writes, and the order stays directory → users → scim_users, the
 * order an account deletion (users, then scim_users by cascade) takes too.
 */
async function loadScimUser(em: EntityManager, directory: Directory, id: string): Promise<ScimUser> {
  const row = await em.findOne(ScimUserSchema, { id, directoryId: directory.id, deletedAt: null });
  if (!row) throw new ScimError(404, `User ${id} not found`);
  return row;
}

async function present(ctx: IdentityContext, em: EntityManager, row: ScimUser) {
  const groups = await groupsOf(em, [row.id]);
  return presentScimUser(ctx, row, groups.get(row.id) ?? []);
}

/** GET /Users: Okta's `filter=userName eq "…"` before every create answers 0 or 1 resource. */
export async function listScimUsers(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  query: ScimPageQuery & AttributeQuery,
) {
  const em = readEm(ctx);
  const directory = await scimDirectory(em, principal);
  const page = await findScimPage(em, 'users', directory.id, query);
  const rows = page.ids.length > 0 ? await em.find(ScimUserSchema, { id: { $in: page.ids }, deletedAt: null }) : [];
  const byId = new Map(rows.map((row) => [row.id, row]));
  const groups = await groupsOf(em, page.ids);
  const resources = page.ids
    .map((id) => byId.get(id))
    .filter((row): row is ScimUser => row !== undefined)
    .map((row) => projectAttributes(presentScimUser(ctx, row, groups.get(row.id) ?? []), query));
  return listResponse(resources, page);
}

export async function getScimUser(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  id: string,
  query: AttributeQuery,
) {
  const em = readEm(ctx);
  const directory = await scimDirectory(em, principal);
  return projectAttributes(await present(ctx, em, await loadScimUser(em, directory, id)), query);
}

export async function createScimUser(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  body: ScimUserBody,
  requestId: string,
) {
  const fields = readUserInput(body);
  const passwordHash = await unusablePasswordHash(ctx);
  return writing(() =>
    commit(ctx, async (em) => {
      const directory = await scimDirectory(em, principal, true);
      const row = await provisionScimUser(ctx, em, directory, fields, passwordHash, requestId);
      return presentScimUser(ctx, row, []);
    }),
  );
}

/** PUT: the body is the whole user (attributes it leaves out are gone, as RFC 7644 §3.5.1 says). */
export async function replaceScimUser(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  id: string,
  body: ScimUserBody,
  requestId: string,
) {
  return writing(() =>
    commit(ctx, async (em) => {
      const directory = await scimDirectory(em, principal, true);
      const row = await loadScimUser(em, directory, id);
      await writeScimUser(ctx, em, directory, row, readUserInput(body, row.active), requestId);
      return present(ctx, em, row);
    }),
  );
}

/**
 * PATCH: the operations apply to the stored user (under the directory lock, so two PATCHes do not interleave),
 * the result is checked as a PUT body would be, then written the same way.
 */
export async function patchScimUser(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  id: string,
  patch: Static<typeof ScimPatchInput>,
  requestId: string,
) {
  return writing(() =>
    commit(ctx, async (em) => {
      const directory = await scimDirectory(em, principal, true);
      const row = await loadScimUser(em, directory, id);
      const patched = applyScimPatch(storedAsBody(row), patch.Operations);
      const fields = readUserInput(checkUserBody(patched), row.active);
      await writeScimUser(ctx, em, directory, row, fields, requestId);
      return present(ctx, em, row);
    }),
  );
}

export async function removeScimUser(
  ctx: IdentityContext,
  principal: DirectoryPrincipal,
  id: string,
  requestId: string,
) {
  await commit(ctx, async (em) => {
    const directory = await scimDirectory(em, principal, true);
    await deleteScimUser(ctx, em, directory, await loadScimUser(em, directory, id), requestId);
  });
}
