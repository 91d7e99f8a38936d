import {
  conflict,
  EVENT_SUBJECTS,
  type MemberProvisionReply,
  type MemberProvisionRequest,
  newId,
  notFound,
  type Role,
} from '@gatehouse/contracts';
import {
  findRowsPage,
  forgetEntitlements,
  type PageRequest,
  recordEvent,
  type TenantAccess,
} from '@gatehouse/service-kit';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { commit, type OrgContext, readEm } from '../context.js';
import { upsertDirectoryUser } from '../directory/service.js';
import { lockedAccess, requireOwner, requirePermission, requireVerifiedEmail } from '../organizations/access.js';
import { type Member, MemberSchema, OrganizationSchema } from '../organizations/entities.js';
import { newMemberRefusal } from './plan-limits.js';

interface MemberRow {
  id: string;
  user_id: string;
  role: string;
  /** Raw SQL reads timestamps as text. */
  joined_at: string;
  name: string | null;
  email: string | null;
  mfa_enabled: boolean | null;
}

/** Members with the directory's name and email; `q` matches either. */
export async function listMembers(ctx: OrgContext, tenant: TenantAccess, query: PageRequest) {
  const page = await findRowsPage<MemberRow>(
    readEm(ctx),
    {
      select: 'm.id, m.user_id, m.role, m.joined_at, d.name, d.email, d.mfa_enabled',
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
      mfaEnabled: row.mfa_enabled === true,
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

/** An owner (other than one member), if there is one: from the owners' own index, never by reading the members. */
function anotherOwner(em: EntityManager, organizationId: string, exceptMemberId?: string) {
  return em.findOne(
    MemberSchema,
    exceptMemberId ? { organizationId, role: 'owner', id: { $ne: exceptMemberId } } : { organizationId, role: 'owner' },
  );
}

async function ensureAnotherOwner(em: EntityManager, target: Member) {
  if (target.role !== 'owner') return;
  if (!(await anotherOwner(em, target.organizationId, target.id))) {
    throw conflict('LAST_OWNER', 'An organization must keep at least one owner');
  }
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
    const previousRole = target.role;
    target.role = role;
    recordEvent(
      em,
      EVENT_SUBJECTS.memberRoleChanged,
      { organizationId, userId: target.userId, role, previousRole },
      requestId,
    );
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

/**
 * An SSO sign-in's membership (identity's organization.member.provision): added with the mapped role, or
 * moved to it, under the organization's lock, recording member.added / member.role_changed as an
 * invitation or a role change would. An owner is left as is: owners are made and unmade by people, and
 * a mapping must not demote the last one. A new member is refused, before any write, in a read-only
 * organization (SUBSCRIPTION_INACTIVE) or past the plan's limit (PLAN_LIMIT_REACHED).
 */
export async function provisionMember(ctx: OrgContext, request: MemberProvisionRequest): Promise<MemberProvisionReply> {
  const { organizationId, userId, role } = request;
  // Owners are made by people in the organization, never by a sign-in (whatever asks).
  if (role === 'owner') return { ok: false, reason: 'ROLE_NOT_PROVISIONABLE' };
  const plan = await ctx.entitlements.of(readEm(ctx), organizationId);
  return commit(ctx, async (em): Promise<MemberProvisionReply> => {
    const organization = await em.findOne(
      OrganizationSchema,
      { id: organizationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    if (!organization) return { ok: false, reason: 'ORGANIZATION_NOT_FOUND' };
    const member = await em.findOne(MemberSchema, { organizationId, userId });
    // A new member needs a writable organization and a seat; an existing one signing in needs neither.
    const refusal = member ? null : await newMemberRefusal(em, plan, organizationId);
    if (refusal) return { ok: false, reason: refusal };
    if (request.email && request.name) {
      await upsertDirectoryUser(em, { userId, email: request.email, name: request.name });
    }
    if (!member) {
      em.create(MemberSchema, { id: newId(), organizationId, userId, role, joinedAt: new Date() });
      recordEvent(em, EVENT_SUBJECTS.memberAdded, { organizationId, userId, role });
      return { ok: true, role };
    }
    if (member.role === role || member.role === 'owner') return { ok: true, role: member.role };
    const previousRole = member.role;
    member.role = role;
    recordEvent(em, EVENT_SUBJECTS.memberRoleChanged, { organizationId, userId, role, previousRole });
    return { ok: true, role };
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
    // Two rows at most, whatever the organization's size: the longest-standing member, and an owner.
    const heir = await em.findOne(MemberSchema, { organizationId }, { orderBy: { joinedAt: 'asc', id: 'asc' } });
    const org = await em.findOne(OrganizationSchema, { id: organizationId });
    if (!org) continue;
    if (!heir) {
      recordEvent(
        em,
        EVENT_SUBJECTS.organizationDeleted,
        { organizationId, name: org.name, slug: org.slug },
        requestId,
      );
      em.remove(org);
      await forgetEntitlements(em, organizationId);
    } else if (heir.role !== 'owner' && !(await anotherOwner(em, organizationId))) {
      const previousRole = heir.role;
      heir.role = 'owner';
      recordEvent(
        em,
        EVENT_SUBJECTS.memberRoleChanged,
        { organizationId, userId: heir.userId, role: 'owner', previousRole },
        requestId,
      );
    }
  }
}
