import {
  type MemberCountReply,
  type MemberCountRequest,
  type MemberProvisionReply,
  type MemberProvisionRequest,
  type MembershipReply,
  type MembershipRequest,
  type ProvisionReply,
  type ProvisionRequest,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import { serveRpc } from '@gatehouse/service-kit';
import type { Subscription } from 'nats';
import { type OrgContext, readEm } from './context.js';
import { countMembers } from './members/plan-limits.js';
import { provisionMember } from './members/service.js';
import { MemberSchema, OrganizationSchema } from './organizations/entities.js';
import { provisionDefaultNow } from './organizations/service.js';

/** The answers other services may ask for when their read models have not caught up. */
export function serveOrganizationRpc(ctx: OrgContext): Subscription[] {
  const { nc, subject } = ctx.deps.messaging;
  const logger = ctx.deps.logger;
  return [
    serveRpc<MembershipRequest, MembershipReply>(nc, subject(RPC_SUBJECTS.getMembership), logger, async (request) => {
      const em = readEm(ctx);
      const member = await em.findOne(MemberSchema, { organizationId: request.organizationId, userId: request.userId });
      if (member) return { found: true, role: member.role, organizationExists: true };
      const organization = await em.findOne(OrganizationSchema, { id: request.organizationId });
      return { found: false, organizationExists: organization !== null };
    }),
    serveRpc<ProvisionRequest, ProvisionReply>(
      nc,
      subject(RPC_SUBJECTS.provisionDefaultOrganization),
      logger,
      async (request) => ({
        ok: true,
        organizationId: await provisionDefaultNow(ctx, request),
      }),
    ),
    // SSO sign-ins: identity asks for the membership the connection's role mapping gives.
    serveRpc<MemberProvisionRequest, MemberProvisionReply>(
      nc,
      subject(RPC_SUBJECTS.provisionMember),
      logger,
      (request) => provisionMember(ctx, request),
    ),
    // Billing's checkout: the seats bought must cover the members there are now.
    serveRpc<MemberCountRequest, MemberCountReply>(nc, subject(RPC_SUBJECTS.countMembers), logger, async (request) => {
      const em = readEm(ctx);
      // A deleted organization's row is gone (deletion is not soft): not found either way.
      const organization = await em.findOne(OrganizationSchema, { id: request.organizationId });
      if (!organization) return { found: false };
      return { found: true, members: await countMembers(em, request.organizationId) };
    }),
  ];
}
