import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import type { Directory } from '../directories/entities.js';

/**
 * Brings the organization's memberships in line with the directory for these SCIM users (or every
 * user of the directory): each one's wanted role is null when inactive or deleted, else the highest
 * role its mapped groups give, else the directory's default. Where it differs from `scim_users.role`,
 * the row is updated and the change recorded in `events.identity.directory.memberships_changed`
 * (at most DIRECTORY_CHANGES_PER_EVENT per event), in the caller's transaction. Returns how many changed.
 * WP0 stub: the directory-roles helper fills it in.
 */
export async function syncMemberships(
  _ctx: IdentityContext,
  _em: EntityManager,
  _directory: Directory,
  _scimUserIds: readonly string[] | 'all',
  _requestId?: string,
): Promise<number> {
  return 0;
}
