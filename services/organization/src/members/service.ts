import { conflict, EVENT_SUBJECTS, notFound, type Role } from '@gatehouse/contracts';
import { findRowsPage, type PageRequest, recordEvent, type TenantAccess } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { commit, type OrgContext, readEm } from '../context.js';
import { lockedAccess, requireOwner, requirePermission, requireVerifiedEmail } from '../organizations/access.js';
import { type Member, MemberSchema, OrganizationSchema } from '../organizations/entities.js';

interface MemberRow {
  id: string;
  user_id: string;
  role: string;
  /** Raw SQL reads timestamps as text. */
  joined_at: string;
  name: string | null;
  email: string | null;
}

/** Members with the directory's name and email; `q` matches either. */
export async function listMembers(ctx: OrgContext, tenant: TenantAccess, query: PageRequest) {
  const page = await findRowsPage<MemberRow>(
    readEm(ctx),
    {
      select: 'm.id, m.user_id, m.role, m.joined_at, d.name, d.email',
      from: 'members m left join directory_users d on d.user_id = m.user_id',
      where: 'm.organization_id = ?',
      params: [tenant.organizationId],
      id: 'm.id',
      sortable: { joinedAt: { column: 'm.joined_at', kind: 'date' } },
      defaultSort: 'joinedAt',
      search: ['d.name', 'd.email'],
    },
    query,
  );
  return {
    items: page.items.map((row) => ({
      id: row.id,
      userId: row.user_id,
      name: row.name,
      email: row.email,
      role: row.role,
      joinedAt: new Date(row.joined_at).toISOString(),
    })),
    meta: page.meta,
  };
}

/**
 * The caller's membership read again under the organization's lock, not the request's: membership
 * changes must see the roles as they are now, or two owners could demote each other (last-owner rule).
 */
async function lockedTarget(em: EntityManager, tenant: TenantAccess, memberId: string) {
  const { organizationId } = tenant;
  const access = await lockedAccess(em, organizationId, tenant.principal.userId);
  const target = await em.findOne(MemberSchema, { id: memberId, organizationId });
  if (!target) throw notFound('Member not found');
  return { access, target };
}

async function ensureAnotherOwner(em: EntityManager, target: Member) {
  if (target.role !== 'owner') return;
  const owners = await em.count(MemberSchema, { organizationId: target.organizationId, role: 'owner' });
  if (owners <= 1) throw conflict('LAST_OWNER', 'An organization must keep at least one owner');
}

/** Verified owners and admins manage members; only owners make or unmake owners; the last owner stays. */
export async function changeRole(
  ctx: OrgContext,
  tenant: TenantAccess,
  memberId: string,
  role: Role,
  requestId: string,
) {
  const { organizationId } = tenant;
  return commit(ctx, async (em) => {
    const { access, target } = await lockedTarget(em, tenant, memberId);
    requirePermission(access.member.role, 'organization:manage-members');
    await requireVerifiedEmail(em, access.member.userId, 'changing roles');
    if (target.role === 'owner' || role === 'owner') requireOwner(access.member.role, 'make or unmake owners');
    if (target.role === role) return presentMember(target);
    if (role !== 'owner') await ensureAnotherOwner(em, target);
    target.role = role;
    recordEvent(em, EVENT_SUBJECTS.memberRoleChanged, { organizationId, userId: target.userId, role }, requestId);
    return presentMember(target);
  });
}

/** Verified managers remove members (owners only remove owners); anyone may leave; the last owner stays. */
export async function removeMember(ctx: OrgContext, tenant: TenantAccess, memberId: string, requestId: string) {
  const { organizationId } = tenant;
  await commit(ctx, async (em) => {
    const { access, target } = await lockedTarget(em, tenant, memberId);
    const leaving = target.userId === access.member.userId;
    if (!leaving) {
      requirePermission(access.member.role, 'organization:manage-members');
      if (target.role === 'owner') requireOwner(access.member.role, 'remove owners');
      await requireVerifiedEmail(em, access.member.userId, 'removing members');
    }
    await ensureAnotherOwner(em, target);
    em.remove(target);
    recordEvent(
      em,
      EVENT_SUBJECTS.memberRemoved,
      { organizationId, userId: target.userId, role: target.role },
      requestId,
    );
  });
}

export function presentMember(member: Member) {
  return {
    id: member.id,
    userId: member.userId,
    role: member.role,
    joinedAt: member.joinedAt.toISOString(),
  };
}

/**
 * A deleted user leaves every organization. Where they were the last owner, the longest-standing
 * remaining member becomes owner (an organization always keeps one); an empty organization is deleted.
 */
export async function removeUserEverywhere(em: EntityManager, userId: string, requestId?: string) {
  const memberships = await em.find(MemberSchema, { userId });
  for (const membership of memberships) {
    const { organizationId } = membership;
    em.remove(membership);
    recordEvent(em, EVENT_SUBJECTS.memberRemoved, { organizationId, userId, role: membership.role }, requestId);
    await em.flush();
    const remaining = await em.find(MemberSchema, { organizationId }, { orderBy: { joinedAt: 'asc', id: 'asc' } });
    const org = await em.findOne(OrganizationSchema, { id: organizationId });
    if (!org) continue;
    if (remaining.length === 0) {
      recordEvent(
        em,
        EVENT_SUBJECTS.organizationDeleted,
        { organizationId, name: org.name, slug: org.slug },
        requestId,
      );
      em.remove(org);
    } else if (!remaining.some((member) => member.role === 'owner')) {
      const heir = remaining[0]!;
      heir.role = 'owner';
      recordEvent(
        em,
        EVENT_SUBJECTS.memberRoleChanged,
        { organizationId, userId: heir.userId, role: 'owner' },
        requestId,
      );
    }
  }
}
