import {
  type MemberProvisionReply,
  type MemberProvisionRequest,
  ROLES,
  type Role,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import { requestRpc } from '@gatehouse/service-kit';
import { type IdentityContext, readEm } from '../context.js';
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
  if (!reply.ok) throw ssoRefused('SSO_CONNECTION_DISABLED', 'This single sign-on connection is not available');
  await upsertMembership(readEm(ctx), connection.organizationId, user.id, reply.role);
  return reply.role;
}
