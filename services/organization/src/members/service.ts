import {
  AppError,
  type AuthenticatedPrincipal,
  conflict,
  EVENT_SUBJECTS,
  notFound,
  type Role,
} from '@gatehouse/contracts';
import { likePattern, recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { commit, type OrgContext, readEm } from '../context.js';
import { type Access, loadAccess, requirePermission, requireVerifiedEmail } from '../organizations/access.js';
import { type Member, MemberSchema } from '../organizations/entities.js';

export async function listMembers(
  ctx: OrgContext,
  access: Access,
  query: { offset: number; limit: number; q?: string; sort?: string },
) {
  const em = readEm(ctx);
  const params: unknown[] = [access.organization.id];
  let filter = '';
  if (query.q) {
    filter = 'and (d.name ilike ? or d.email ilike ?)';
    params.push(likePattern(query.q), likePattern(query.q));
  }
  const order = query.sort === '-joinedAt' ? 'm.joined_at desc, m.id desc' : 'm.joined_at asc, m.id asc';
  const rows: Array<{
    id: string;
    user_id: string;
    role: string;
    joined_at: Date;
    name: string | null;
    email: string | null;
    total: string;
  }> = await em.execute(
    `select m.id, m.user_id, m.role, m.joined_at, d.name, d.email, count(*) over () as total
       from members m left join directory_users d on d.user_id = m.user_id
       where m.organization_id = ? ${filter}
       order by ${order} limit ? offset ?`,
    [...params, query.limit, query.offset],
  );
  const total = rows.length > 0 ? Number(rows[0]!.total) : 0;
  return {
    items: rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      name: row.name,
      email: row.email,
      role: row.role,
      joinedAt: new Date(row.joined_at).toISOString(),
    })),
    meta: { total, offset: query.offset, limit: query.limit, hasMore: query.offset + rows.length < total },
  };
}

async function lockedTarget(em: EntityManager, organizationId: string, actorId: string, memberId: string) {
  const access = await loadAccess(em, organizationId, actorId, { lock: true });
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
  principal: AuthenticatedPrincipal,
  organizationId: string,
  memberId: string,
  role: Role,
  requestId: string,
) {
  return commit(ctx, async (em) => {
    const { access, target } = await lockedTarget(em, organizationId, principal.userId, memberId);
    requirePermission(access, 'organization:manage-members');
    await requireVerifiedEmail(em, principal.userId, 'changing roles');
    if ((target.role === 'owner' || role === 'owner') && access.member.role !== 'owner') {
      throw new AppError('INSUFFICIENT_PERMISSIONS', 'Only owners can make or unmake owners', {
        requiredRole: 'owner',
      });
    }
    if (target.role === role) return presentMember(target);
    if (role !== 'owner') await ensureAnotherOwner(em, target);
    target.role = role;
    recordEvent(em, EVENT_SUBJECTS.memberRoleChanged, { organizationId, userId: target.userId, role }, requestId);
    return presentMember(target);
  });
}

/** Verified managers remove members (owners only remove owners); anyone may leave; the last owner stays. */
export async function removeMember(
  ctx: OrgContext,
  principal: AuthenticatedPrincipal,
  organizationId: string,
  memberId: string,
  requestId: string,
) {
  await commit(ctx, async (em) => {
    const { access, target } = await lockedTarget(em, organizationId, principal.userId, memberId);
    const leaving = target.userId === principal.userId;
    if (!leaving) {
      requirePermission(access, 'organization:manage-members');
      if (target.role === 'owner' && access.member.role !== 'owner') {
        throw new AppError('INSUFFICIENT_PERMISSIONS', 'Only owners can remove owners', { requiredRole: 'owner' });
      }
      await requireVerifiedEmail(em, principal.userId, 'removing members');
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
