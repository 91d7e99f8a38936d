import {
  AppError,
  billingPageUrl,
  type MemberProvisionReply,
  type MemberProvisionRequest,
  ROLES,
  type Role,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import { requestRpc, subscriptionInactive } from '@gatehouse/service-kit';
import { type IdentityContext, readEm } from '../context.js';
import { readOnlyOrganization } from '../entitlements/service.js';
import { upsertMembership } from '../memberships/service.js';
import type { User } from '../users/entities.js';
import type { SsoConnection } from './entities.js';
import { ssoRefused } from './refusal.js';
import type { IdpProfile } from './sign-in.js';

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** The connection's role mapping applied to the IdP's attributes: the first matching rule wins, else the default role. */
export function mappedRole(connection: Pick<SsoConnection, 'roleMapping' | 'defaultRole'>, profile: IdpProfile): Role {
  const rule = connection.roleMapping.find((candidate) =>
    profile.attributes[candidate.attribute]?.includes(candidate.value),
  );
  const role = rule?.role ?? connection.defaultRole;
  return isRole(role) ? role : 'member';
}

/**
 * Organization owns membership: it adds the member or moves them to the mapped role (recording the same
 * events an invitation would). Identity writes the answer into its read model, so /me counts it at once.
 * No answer means no sign-in: a person without their membership would land in an empty account.
 */
export async function provisionMembership(
  ctx: IdentityContext,
  connection: SsoConnection,
  user: User,
  profile: IdpProfile,
): Promise<Role> {
  const reply = await requestRpc<MemberProvisionRequest, MemberProvisionReply>(
    ctx.deps.messaging.nc,
    ctx.deps.messaging.subject(RPC_SUBJECTS.provisionMember),
    {
      organizationId: connection.organizationId,
      userId: user.id,
      role: mappedRole(connection, profile),
      email: user.email,
      name: user.fullName,
    },
    3000,
  );
  if (!reply.ok) throw await provisionRefused(ctx, connection.organizationId, reply.reason);
  await upsertMembership(readEm(ctx), connection.organizationId, user.id, reply.role);
  return reply.role;
}

/**
 * Why organization would not add the member. A full plan or an unpaid, read-only organization is said plainly
 * (an owner can fix it in billing); an organization gone or a role it will not give makes the connection unusable.
 */
async function provisionRefused(
  ctx: IdentityContext,
  organizationId: string,
  reason: Extract<MemberProvisionReply, { ok: false }>['reason'],
): Promise<AppError> {
  if (reason === 'SUBSCRIPTION_INACTIVE') return readOnlyRefusal(ctx, organizationId);
  if (reason === 'PLAN_LIMIT_REACHED') {
    return new AppError(
      'PLAN_LIMIT_REACHED',
      "The organization's plan has no room for another member: ask an owner of the organization to upgrade it",
      { resource: 'members', upgradeUrl: billingPageUrl(ctx.config.PUBLIC_URL, organizationId) },
    );
  }
  return ssoRefused('SSO_CONNECTION_DISABLED', 'This single sign-on connection is not available');
}

/**
 * Organization found the organization read-only. Identity's own copy of the entitlements usually says since when;
 * when it has not stored them yet (organization heard first), the answer still says where to pay.
 */
async function readOnlyRefusal(ctx: IdentityContext, organizationId: string): Promise<AppError> {
  const known = await readOnlyOrganization(readEm(ctx), organizationId);
  if (known) return subscriptionInactive(organizationId, known.since, known.upgradeUrl);
  return new AppError(
    'SUBSCRIPTION_INACTIVE',
    'The organization is read-only until its subscription is paid: ask an owner of the organization to pay it',
    { organizationId, upgradeUrl: billingPageUrl(ctx.config.PUBLIC_URL, organizationId) },
  );
}
