import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import type { Directory } from '../directories/entities.js';
import { UserMembershipSchema } from '../memberships/entities.js';
import { endEveryCredential } from '../recovery/end-every-credential.js';
import type { ScimUser } from '../scim/entities.js';
import { loadUserForUpdate } from '../users/queries.js';
import { revokeOrganizationCredentials } from './organization-credentials.js';

/**
 * `active: false` or DELETE: the person leaves the organization at once, in the caller's transaction.
 * Identity's own read model forgets the membership now (tenant routes refuse them from the commit on,
 * before organization hears of it); what they hold pinned to the organization is revoked; an account
 * that exists only because of this directory is deactivated and loses every credential. The caller
 * then runs syncMemberships, which asks organization to remove the member.
 */
export async function deprovision(
  ctx: IdentityContext,
  em: EntityManager,
  directory: Directory,
  scimUser: ScimUser,
  requestId?: string,
): Promise<void> {
  await em.nativeDelete(UserMembershipSchema, { organizationId: directory.organizationId, userId: scimUser.userId });
  await revokeOrganizationCredentials(em, scimUser.userId, directory.organizationId, requestId);
  if (!scimUser.ownsAccount) return;
  const user = await loadUserForUpdate(em, scimUser.userId);
  user.isActive = false;
  user.updatedAt = new Date();
  await endEveryCredential(ctx, em, user.id, { requestId, reach: 'account-ended' });
}

/**
 * `active: true` again: an account the directory owns can sign in again (its credentials stay ended:
 * the person signs in afresh). The membership comes back through syncMemberships.
 */
export async function reactivate(em: EntityManager, scimUser: ScimUser): Promise<void> {
  if (!scimUser.ownsAccount) return;
  const user = await loadUserForUpdate(em, scimUser.userId);
  if (user.isActive) return;
  user.isActive = true;
  user.updatedAt = new Date();
}
