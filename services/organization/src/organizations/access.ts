import { AppError, notFound, type Role, type RolePermission, roleHasPermission } from '@gatehouse/contracts';
import type { TenantAccessLoader } from '@gatehouse/service-kit';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { type OrgContext, readEm } from '../context.js';
import { DirectoryUserSchema } from '../directory/entities.js';
import { type Member, MemberSchema, type Organization, OrganizationSchema } from './entities.js';

/**
 * Tenant routes' membership check, from organization's own members table (loaded once per request
 * by service-kit's routeServer). Outsiders get 404, exactly as for an id that does not exist, so
 * organization ids cannot be probed. A member row implies its organization (foreign key, cascade).
 */
export function tenantAccess(ctx: OrgContext): TenantAccessLoader {
  return async (organizationId, principal) => {
    const member = await readEm(ctx).findOne(MemberSchema, { organizationId, userId: principal.userId });
    if (!member) throw notFound('Organization not found');
    return member.role;
  };
}

export async function findOrganization(
  em: EntityManager,
  organizationId: string,
  options: { lock?: boolean } = {},
): Promise<Organization> {
  const organization = await em.findOne(
    OrganizationSchema,
    { id: organizationId },
    options.lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
  );
  if (!organization) throw notFound('Organization not found');
  return organization;
}

/** The caller's membership read under the organization's row lock. */
export interface LockedAccess {
  organization: Organization;
  member: Member;
}

/**
 * Membership changes lock the organization row and read the caller's membership again inside
 * their transaction: the role the request was let in with may have changed since (two owners
 * demoting each other at once), and the last-owner rule must not be raced.
 */
export async function lockedAccess(em: EntityManager, organizationId: string, userId: string): Promise<LockedAccess> {
  const organization = await findOrganization(em, organizationId, { lock: true });
  const member = await em.findOne(MemberSchema, { organizationId, userId });
  if (!member) throw notFound('Organization not found');
  return { organization, member };
}

export function requirePermission(role: Role, permission: RolePermission): void {
  if (!roleHasPermission(role, permission)) {
    throw new AppError('INSUFFICIENT_PERMISSIONS', `Your role (${role}) cannot do this`, {
      requiredPermission: permission,
    });
  }
}

/** Actions reserved to owners (deleting the organization, making owners). */
export function requireOwner(role: Role, action: string): void {
  if (role !== 'owner') {
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
