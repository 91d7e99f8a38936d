import { SCIM_SCHEMAS } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import { scimBaseUrl } from '../scim/base-url.js';
import type { ScimUser } from '../scim/entities.js';

export interface UserGroup {
  id: string;
  displayName: string;
}

/** Where the directory's resources live, as clients reach them through the gateway. */
const scimUrl = (ctx: IdentityContext, path: string) => `${scimBaseUrl(ctx.config)}/${path}`;

/**
 * The SCIM User answer (RFC 7643 §4.1): what was sent, with our id, the columns, the groups the user is
 * in (read-only) and meta. `password` never reaches `resource` (input.ts), so it is never answered.
 */
export function presentScimUser(ctx: IdentityContext, row: ScimUser, groups: readonly UserGroup[]) {
  const schemas: string[] = [SCIM_SCHEMAS.user];
  if (row.resource[SCIM_SCHEMAS.enterpriseUser] !== undefined) schemas.push(SCIM_SCHEMAS.enterpriseUser);
  const location = scimUrl(ctx, `Users/${row.id}`);
  return {
    schemas,
    id: row.id,
    ...(row.externalId !== null && { externalId: row.externalId }),
    userName: row.userName,
    active: row.active,
    ...(row.displayName !== null && { displayName: row.displayName }),
    ...row.resource,
    groups: groups.map((group) => ({
      value: group.id,
      display: group.displayName,
      $ref: scimUrl(ctx, `Groups/${group.id}`),
    })),
    meta: {
      resourceType: 'User',
      created: row.createdAt.toISOString(),
      lastModified: row.updatedAt.toISOString(),
      location,
      version: `W/"${row.version}"`,
    },
  };
}

/** The groups each of these users is in, in one query (a list page, or one user). */
export async function groupsOf(em: EntityManager, scimUserIds: readonly string[]): Promise<Map<string, UserGroup[]>> {
  const byUser = new Map<string, UserGroup[]>();
  if (scimUserIds.length === 0) return byUser;
  const rows: Array<{ scim_user_id: string; id: string; display_name: string }> = await em.execute(
    `select m.scim_user_id, g.id, g.display_name
       from scim_group_members m join scim_groups g on g.id = m.group_id
      where m.scim_user_id in (?)
      order by g.display_name, g.id`,
    [scimUserIds],
  );
  for (const row of rows) {
    const groups = byUser.get(row.scim_user_id) ?? [];
    groups.push({ id: row.id, displayName: row.display_name });
    byUser.set(row.scim_user_id, groups);
  }
  return byUser;
}
