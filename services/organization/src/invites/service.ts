import {
  AppError,
  type AuthenticatedPrincipal,
  conflict,
  EVENT_SUBJECTS,
  newId,
  notFound,
  type Role,
} from '@gatehouse/contracts';
import {
  findPage,
  hashSecret,
  type PageRequest,
  queueMail,
  randomSecret,
  recordActivity,
  recordEvent,
  type TenantAccess,
} from '@gatehouse/service-kit';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { invitationTarget } from '../activity.js';
import { commit, type OrgContext, readEm } from '../context.js';
import { DirectoryUserSchema } from '../directory/entities.js';
import { requireSeatToJoin, requireWritable } from '../members/plan-limits.js';
import { findOrganization, requireOwner, requireVerifiedEmail } from '../organizations/access.js';
import { MemberSchema, OrganizationSchema, presentMembership } from '../organizations/entities.js';
import { type Invite, InviteSchema, inviteStatus, presentInvite } from './entities.js';
import { requireSeatForInvite } from './seats.js';

/**
 * The link opens the console's accept page (it signs the person in first, then accepts with
 * POST /api/user/invites/:token/accept); the mail names that API call for apps that accept themselves.
 */
function inviteMail(ctx: OrgContext, to: string, organizationName: string, token: string, days: number) {
  const link = publicInviteLink(ctx, token);
  const text =
    `You are invited to join ${organizationName} on Gatehouse.\n\n` +
    `Sign in with this email address, then accept: ${link}\n\n` +
    `(An app accepts it with POST /api/user/invites/<token>/accept while signed in, <token> being the one in the link.) ` +
    `The invitation works once and expires in ${days} days.\n`;
  const html = `<p>You are invited to join <strong>${organizationName.replace(/[&<>"']/g, '')}</strong> on Gatehouse.</p><p>Sign in with this email address, then accept the invitation.</p><p><a href="${link}">Accept the invitation</a></p>`;
  return { to, subject: `Join ${organizationName} on Gatehouse`, text, html };
}

function publicInviteLink(ctx: OrgContext, token: string): string {
  const url = new URL('/accept-invite', ctx.config.PUBLIC_URL);
  url.searchParams.set('token', token);
  return url.toString();
}

async function issueInviteToken(ctx: OrgContext, em: EntityManager, invite: Invite, organizationName: string) {
  const token = randomSecret(32);
  invite.tokenHash = hashSecret(token);
  invite.expiresAt = new Date(Date.now() + ctx.config.INVITE_TTL_SECONDS * 1000);
  queueMail(
    em,
    inviteMail(ctx, invite.email, organizationName, token, Math.round(ctx.config.INVITE_TTL_SECONDS / 86400)),
  );
}

/** The tenant routes below run after the contract's permission (organization:manage-members) was checked. */
export async function createInvite(ctx: OrgContext, tenant: TenantAccess, input: { email: string; role: Role }) {
  if (input.role === 'owner') requireOwner(tenant.role, 'invite owners');
  const email = input.email.trim().toLowerCase();
  const plan = await ctx.entitlements.of(readEm(ctx), tenant.organizationId);
  const invite = await commit(ctx, async (em) => {
    await requireVerifiedEmail(em, tenant.principal.userId, 'inviting people');
    const org = await findOrganization(em, tenant.organizationId, { lock: true });
    const existingUser = await em.findOne(DirectoryUserSchema, { email });
    if (existingUser && (await em.findOne(MemberSchema, { organizationId: org.id, userId: existingUser.userId }))) {
      throw conflict('ALREADY_MEMBER', 'This person is already a member');
    }
    const pending = await em.findOne(InviteSchema, {
      organizationId: org.id,
      email,
      acceptedAt: null,
      expiresAt: { $gt: new Date() },
    });
    if (pending) throw conflict('INVITE_PENDING', 'An invitation to this email is already pending');
    await requireSeatForInvite(em, plan, org.id);
    const created = em.create(InviteSchema, {
      id: newId(),
      organizationId: org.id,
      email,
      role: input.role,
      tokenHash: '',
      invitedByUserId: tenant.principal.userId,
      createdAt: new Date(),
      expiresAt: new Date(),
      acceptedAt: null,
      acceptedByUserId: null,
    });
    await issueInviteToken(ctx, em, created, org.name);
    recordActivity(em, EVENT_SUBJECTS.organizationActivity, {
      action: 'invitation.created',
      organizationId: org.id,
      userId: tenant.principal.userId,
      target: invitationTarget(created),
      changes: { role: { after: created.role } },
    });
    return created;
  });
  return presentInvite(invite);
}

/** Pending (unaccepted) invitations, newest first unless sorted otherwise; `q` matches the email. */
export async function listInvites(ctx: OrgContext, tenant: TenantAccess, query: PageRequest) {
  const page = await findPage(
    readEm(ctx),
    InviteSchema,
    { organizationId: tenant.organizationId, acceptedAt: null },
    query,
    { sortable: { createdAt: 'date' }, defaultSort: '-createdAt', search: ['email'] },
  );
  return { items: page.items.map(presentInvite), meta: page.meta };
}

async function pendingInvite(em: EntityManager, organizationId: string, inviteId: string) {
  const invite = await em.findOne(InviteSchema, { id: inviteId, organizationId, acceptedAt: null });
  if (!invite) throw notFound('Invitation not found');
  return invite;
}

export async function revokeInvite(ctx: OrgContext, tenant: TenantAccess, inviteId: string) {
  await commit(ctx, async (em) => {
    const invite = await pendingInvite(em, tenant.organizationId, inviteId);
    em.remove(invite);
    recordActivity(em, EVENT_SUBJECTS.organizationActivity, {
      action: 'invitation.revoked',
      organizationId: invite.organizationId,
      userId: tenant.principal.userId,
      target: invitationTarget(invite),
      changes: { role: { before: invite.role } },
    });
  });
}

/**
 * A fresh token and expiry; the old link stops working. An expired invitation held no seat, so renewing it
 * needs one as a new invitation does (under the organization's lock).
 */
export async function resendInvite(ctx: OrgContext, tenant: TenantAccess, inviteId: string) {
  const plan = await ctx.entitlements.of(readEm(ctx), tenant.organizationId);
  const invite = await commit(ctx, async (em) => {
    await requireVerifiedEmail(em, tenant.principal.userId, 'inviting people');
    const organization = await findOrganization(em, tenant.organizationId, { lock: true });
    const found = await pendingInvite(em, tenant.organizationId, inviteId);
    if (inviteStatus(found) === 'expired') await requireSeatForInvite(em, plan, organization.id);
    await issueInviteToken(ctx, em, found, organization.name);
    return found;
  });
  return presentInvite(invite);
}

/** The plan of the organization a token invites to (null when the token names none: it is refused later). */
async function planOfInvitation(ctx: OrgContext, tokenHash: string) {
  const em = readEm(ctx);
  const invite = await em.findOne(InviteSchema, { tokenHash }, { fields: ['organizationId'] });
  return invite ? ctx.entitlements.of(em, invite.organizationId) : null;
}

/**
 * Single use, unexpired, and only by the signed-in user whose verified email it was sent to; the organization
 * must be writable and have a seat left on its plan.
 */
export async function acceptInvite(
  ctx: OrgContext,
  principal: AuthenticatedPrincipal,
  token: string,
  requestId: string,
) {
  const tokenHash = hashSecret(token);
  const plan = await planOfInvitation(ctx, tokenHash);
  return commit(ctx, async (em) => {
    const invite = await em.findOne(InviteSchema, { tokenHash }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!invite || inviteStatus(invite) !== 'pending') {
      throw new AppError('INVALID_OR_EXPIRED_TOKEN', 'This invitation is invalid, expired or already used');
    }
    const user = await em.findOne(DirectoryUserSchema, { userId: principal.userId });
    if (!user || user.email !== invite.email) {
      throw new AppError('FORBIDDEN', 'This invitation was sent to another email address');
    }
    if (!user.isVerified) throw new AppError('EMAIL_NOT_VERIFIED', 'Verify your email address before accepting');
    await em.findOneOrFail(OrganizationSchema, { id: invite.organizationId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const existing = await em.findOne(MemberSchema, { organizationId: invite.organizationId, userId: user.userId });
    if (existing) throw conflict('ALREADY_MEMBER', 'You are already a member');
    requireWritable(plan, invite.organizationId);
    await requireSeatToJoin(em, plan, invite.organizationId);
    invite.acceptedAt = new Date();
    invite.acceptedByUserId = user.userId;
    const member = em.create(MemberSchema, {
      id: newId(),
      organizationId: invite.organizationId,
      userId: user.userId,
      role: invite.role,
      joinedAt: new Date(),
    });
    recordEvent(
      em,
      EVENT_SUBJECTS.memberAdded,
      { organizationId: invite.organizationId, userId: user.userId, role: invite.role },
      requestId,
    );
    recordActivity(em, EVENT_SUBJECTS.organizationActivity, {
      action: 'invitation.accepted',
      organizationId: invite.organizationId,
      userId: user.userId,
      target: invitationTarget(invite),
      changes: { role: { after: invite.role } },
    });
    return presentMembership(member);
  });
}
