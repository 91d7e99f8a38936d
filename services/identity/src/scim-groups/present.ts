import { SCIM_SCHEMAS } from '@gatehouse/contracts';
import type { IdentityContext } from '../context.js';
import { scimBaseUrl } from '../scim/base-url.js';
import type { ScimGroup } from '../scim/entities.js';
import type { GroupMemberRow } from './members.js';

const base = (ctx: IdentityContext) => scimBaseUrl(ctx.config);

export const groupLocation = (ctx: IdentityContext, id: string) => `${base(ctx)}/Groups/${id}`;

/**
 * The SCIM Group answer (RFC 7643 §4.2). `members` is null when the request excluded them (the rows
 * were not even read); each member shows its display name, else its userName.
 */
export function presentGroup(ctx: IdentityContext, group: ScimGroup, members: readonly GroupMemberRow[] | null) {
  return {
    ...group.resource,
    schemas: [SCIM_SCHEMAS.group],
    id: group.id,
    ...(group.externalId !== null && { externalId: group.externalId }),
    displayName: group.displayName,
    ...(members && {
      members: members.map((member) => ({
        value: member.scim_user_id,
        display: member.display_name ?? member.user_name,
        $ref: `${base(ctx)}/Users/${member.scim_user_id}`,
      })),
    }),
    meta: {
      resourceType: 'Group',
      created: group.createdAt.toISOString(),
      lastModified: group.updatedAt.toISOString(),
      location: groupLocation(ctx, group.id),
      version: `W/"${group.version}"`,
    },
  };
}

/** Whether an answer carries members: not when excluded, nor when `attributes` names others only. */
export function wantsMembers(query: { attributes?: string; excludedAttributes?: string }): boolean {
  const names = (list: string | undefined) =>
    (list ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase().replace(`${SCIM_SCHEMAS.group.toLowerCase()}:`, ''))
      .filter(Boolean);
  const attributes = names(query.attributes);
  if (attributes.length > 0) return attributes.some((name) => name === 'members' || name.startsWith('members.'));
  return !names(query.excludedAttributes).includes('members');
}
