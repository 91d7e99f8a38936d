import { AppError, notFound, type RolePermission, roleHasPermission } from '@gatehouse/contracts';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { DirectoryUserSchema } from '../directory/entities.js';
import { type Member, MemberSchema, type Organization, OrganizationSchema } from './entities.js';

export interface Access {
  organization: Organization;
  member: Member;
}

/**
 * The caller's membership in the organization. Outsiders get 404, exactly as for an id that
 * does not exist, so organization ids cannot be probed. `lock` serialises membership changes
 * per organization (the last-owner rule must not be raced).
 */
export async function loadAccess(
  em: EntityManager,
  organizationId: string,
  userId: string,
  options: { lock?: boolean } = {},
): Promise<Access> {
  const organization = await em.findOne(
    OrganizationSchema,
    { id: organizationId },
    options.lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  const member = organization ? await em.findOne(MemberSchema, { organizationId, userId }) : null;
  if (!organization || !member) throw notFound('Organization not found');
  return { organization, member };
}

export function requirePermission(access: Access, permission: RolePermission): void {
  if (!roleHasPermission(access.member.role, permission)) {
    throw new AppError('INSUFFICIENT_PERMISSIONS', `Your role (${access.member.role}) cannot do this`, {
      requiredPermission: permission,
    });
  }
}

/** Actions reserved to owners (deleting the organization, making owners). */
export function requireOwner(access: Access, action: string): void {
  if (access.member.role !== 'owner') {
    throw new AppError('INSUFFICIENT_PERMISSIONS', `Only owners can ${action}`, { requiredRole: 'owner' });
  }
}

/**
 * Changing who is in an organization needs a verified email: an unverified account may be squatting
 * someone else's address, and members it brought in would outlive the owner's recovery. The directory
 * learns verification by event (and never unlearns it), so until it has, the caller is refused.
 */
export async function requireVerifiedEmail(em: EntityManager, userId: string, action: string): Promise<void> {
  const user = await em.findOne(DirectoryUserSchema, { userId });
  if (!user?.isVerified) throw new AppError('EMAIL_NOT_VERIFIED', `Verify your email address before ${action}`);
}
