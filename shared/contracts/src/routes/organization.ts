import { Type } from 'typebox';
import { RoleSchema } from '../events.js';
import { listQuerySchema } from '../pagination.js';
import { NoData, Nullable, OrganizationParams, Slug, Timestamp, Ulid } from './common.js';
import { defineRoutes } from './contract.js';

export const INVITE_STATUSES = ['pending', 'accepted', 'expired'] as const;
export type InviteStatus = (typeof INVITE_STATUSES)[number];

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const InviteStatusSchema = Type.Unsafe<InviteStatus>({ type: 'string', enum: [...INVITE_STATUSES] });

const MemberParams = Type.Object({ organizationId: Ulid, memberId: Ulid }, { additionalProperties: false });
const InviteParams = Type.Object({ organizationId: Ulid, inviteId: Ulid }, { additionalProperties: false });
/** The link token from the invitation mail (randomSecret(32): base62). */
const InviteTokenParams = Type.Object(
  { token: Type.String({ pattern: '^[A-Za-z0-9]{20,200}$' }) },
  { additionalProperties: false },
);

const Organization = Type.Object(
  {
    id: Ulid,
    name: Type.String(),
    slug: Slug,
    /** The organization provisioned at sign-up. */
    isDefault: Type.Boolean(),
    /** The caller's role in it. */
    role: RoleSchema,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

/** One membership: the caller's (my-membership) or the one an accepted invitation made. */
const Membership = Type.Object(
  { id: Ulid, organizationId: Ulid, userId: Ulid, role: RoleSchema, joinedAt: Timestamp },
  { additionalProperties: false },
);

/** A member in the organization's list; `name`/`email` are null until the directory knows the user. */
const Member = Type.Object(
  {
    id: Ulid,
    userId: Ulid,
    name: Nullable(Type.String()),
    email: Nullable(Type.String()),
    role: RoleSchema,
    joinedAt: Timestamp,
    /** The member has a second factor (from identity's security events; false until one arrives). */
    mfaEnabled: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** What a role change answers: the member without the directory's name and email. */
const MemberRole = Type.Object(
  { id: Ulid, userId: Ulid, role: RoleSchema, joinedAt: Timestamp },
  { additionalProperties: false },
);

const Invite = Type.Object(
  {
    id: Ulid,
    organizationId: Ulid,
    email: Type.String(),
    role: RoleSchema,
    status: InviteStatusSchema,
    invitedByUserId: Ulid,
    createdAt: Timestamp,
    expiresAt: Timestamp,
    acceptedAt: Nullable(Timestamp),
  },
  { additionalProperties: false },
);

const ORGANIZATIONS = '/api/user/organizations';
const ORG = `${ORGANIZATIONS}/:organizationId`;
const VERIFIED = 'The caller needs a verified email address (EMAIL_NOT_VERIFIED otherwise).';

export const ORGANIZATION_ROUTES = defineRoutes({
  listOrganizations: {
    method: 'GET',
    path: ORGANIZATIONS,
    upstream: 'organization',
    tag: 'Organizations',
    summary: 'List the organizations you belong to, with your role in each',
    description: 'A key pinned to one organization sees only that one. `q` matches the name.',
    auth: 'required',
    scopes: ['user:read', 'organizations:read'],
    query: listQuerySchema({ sort: ['name', 'createdAt'], search: true }),
    response: { status: 200, data: Organization, list: true },
  },
  createOrganization: {
    method: 'POST',
    path: ORGANIZATIONS,
    upstream: 'organization',
    tag: 'Organizations',
    summary: 'Create an organization; you become its owner',
    description: 'Without a slug, one is made from the name (with a random suffix when taken).',
    auth: 'required',
    scopes: ['organizations:write'],
    // A key pinned to one organization does not found others.
    accountWide: true,
    body: Type.Object({ name: Name, slug: Type.Optional(Slug) }, { additionalProperties: false }),
    response: { status: 201, data: Organization },
    errors: ['CONFLICT'],
  },
  getOrganization: {
    method: 'GET',
    path: ORG,
    upstream: 'organization',
    tag: 'Organizations',
    summary: 'Read an organization',
    auth: 'required',
    scopes: ['user:read', 'organizations:read'],
    params: OrganizationParams,
    response: { status: 200, data: Organization },
  },
  updateOrganization: {
    method: 'PUT',
    path: ORG,
    upstream: 'organization',
    tag: 'Organizations',
    summary: "Change an organization's name or slug",
    auth: 'required',
    scopes: ['organizations:write'],
    permission: 'organization:manage-members',
    params: OrganizationParams,
    body: Type.Object(
      { name: Type.Optional(Name), slug: Type.Optional(Slug) },
      { additionalProperties: false, minProperties: 1 },
    ),
    response: { status: 200, data: Organization },
    errors: ['INSUFFICIENT_PERMISSIONS', 'CONFLICT'],
  },
  deleteOrganization: {
    method: 'DELETE',
    path: ORG,
    upstream: 'organization',
    tag: 'Organizations',
    summary: 'Delete an organization',
    description: 'Owners only. Every service drops the organization’s data (projects included).',
    auth: 'required',
    scopes: ['organizations:write'],
    params: OrganizationParams,
    response: { status: 200, data: NoData },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  getMyMembership: {
    method: 'GET',
    path: `${ORG}/my-membership`,
    upstream: 'organization',
    tag: 'Members',
    summary: 'Read your own membership in an organization',
    auth: 'required',
    scopes: ['user:read', 'organizations:read'],
    params: OrganizationParams,
    response: { status: 200, data: Membership },
  },
  listMembers: {
    method: 'GET',
    path: `${ORG}/members`,
    upstream: 'organization',
    tag: 'Members',
    summary: 'List the members of an organization',
    description: '`q` matches the name or the email.',
    auth: 'required',
    scopes: ['members:read'],
    params: OrganizationParams,
    query: listQuerySchema({ sort: ['joinedAt'], search: true }),
    response: { status: 200, data: Member, list: true },
  },
  changeMemberRole: {
    method: 'PUT',
    path: `${ORG}/members/:memberId/role`,
    upstream: 'organization',
    tag: 'Members',
    summary: "Change a member's role",
    description: `Only owners make or unmake owners; the last owner cannot step down (CONFLICT, reason LAST_OWNER). ${VERIFIED}`,
    auth: 'required',
    scopes: ['members:write'],
    permission: 'organization:manage-members',
    params: MemberParams,
    body: Type.Object({ role: RoleSchema }, { additionalProperties: false }),
    response: { status: 200, data: MemberRole },
    errors: ['INSUFFICIENT_PERMISSIONS', 'EMAIL_NOT_VERIFIED', 'CONFLICT'],
  },
  removeMember: {
    method: 'DELETE',
    path: `${ORG}/members/:memberId`,
    upstream: 'organization',
    tag: 'Members',
    summary: 'Remove a member, or leave the organization',
    description:
      'Anyone may remove themselves; removing others needs organization:manage-members and a verified email, ' +
      'and only owners remove owners. The last owner stays (CONFLICT, reason LAST_OWNER).',
    auth: 'required',
    scopes: ['members:write'],
    // No contract permission: a member may leave; removing someone else is checked by the service.
    params: MemberParams,
    response: { status: 200, data: NoData },
    errors: ['INSUFFICIENT_PERMISSIONS', 'EMAIL_NOT_VERIFIED', 'CONFLICT'],
  },
  listInvites: {
    method: 'GET',
    path: `${ORG}/invites`,
    upstream: 'organization',
    tag: 'Invitations',
    summary: "List an organization's unaccepted invitations",
    description:
      'Newest first unless sorted otherwise; expired ones are listed with status `expired`. `q` matches the email.',
    auth: 'required',
    scopes: ['members:read'],
    permission: 'organization:manage-members',
    params: OrganizationParams,
    query: listQuerySchema({ sort: ['createdAt'], search: true }),
    response: { status: 200, data: Invite, list: true },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  createInvite: {
    method: 'POST',
    path: `${ORG}/invites`,
    upstream: 'organization',
    tag: 'Invitations',
    summary: 'Invite someone by email',
    description:
      `Mails a single-use link. The role defaults to member; only owners invite owners. ${VERIFIED} ` +
      'CONFLICT with reason ALREADY_MEMBER or INVITE_PENDING.',
    auth: 'required',
    scopes: ['members:write'],
    permission: 'organization:manage-members',
    params: OrganizationParams,
    body: Type.Object(
      { email: Type.String({ format: 'email', maxLength: 254 }), role: Type.Optional(RoleSchema) },
      { additionalProperties: false },
    ),
    response: { status: 201, data: Invite },
    errors: ['INSUFFICIENT_PERMISSIONS', 'EMAIL_NOT_VERIFIED', 'CONFLICT'],
  },
  revokeInvite: {
    method: 'DELETE',
    path: `${ORG}/invites/:inviteId`,
    upstream: 'organization',
    tag: 'Invitations',
    summary: 'Revoke an unaccepted invitation',
    auth: 'required',
    scopes: ['members:write'],
    permission: 'organization:manage-members',
    params: InviteParams,
    response: { status: 200, data: NoData },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
  resendInvite: {
    method: 'POST',
    path: `${ORG}/invites/:inviteId/resend`,
    upstream: 'organization',
    tag: 'Invitations',
    summary: 'Send an invitation again',
    description: `A fresh link and expiry; the old link stops working. ${VERIFIED}`,
    auth: 'required',
    scopes: ['members:write'],
    permission: 'organization:manage-members',
    params: InviteParams,
    response: { status: 200, data: Invite },
    errors: ['INSUFFICIENT_PERMISSIONS', 'EMAIL_NOT_VERIFIED'],
  },
  acceptInvite: {
    method: 'POST',
    path: '/api/user/invites/:token/accept',
    upstream: 'organization',
    tag: 'Invitations',
    summary: 'Accept an invitation and join its organization',
    description:
      'Only by the signed-in user whose verified email it was sent to (FORBIDDEN for another address); ' +
      'single use and unexpired (INVALID_OR_EXPIRED_TOKEN). CONFLICT with reason ALREADY_MEMBER.',
    auth: 'required',
    scopes: ['user:write'],
    // Joining another organization is the account's act, not one organization's key's.
    accountWide: true,
    params: InviteTokenParams,
    response: { status: 200, data: Membership },
    errors: ['INVALID_OR_EXPIRED_TOKEN', 'FORBIDDEN', 'EMAIL_NOT_VERIFIED', 'CONFLICT'],
  },
});
