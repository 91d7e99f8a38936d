import { type HttpApp, ok, requireUser } from '@gatehouse/service-kit';
import { type OrgContext, readEm } from '../context.js';
import { loadAccess } from '../organizations/access.js';
import {
  CreateInviteBody,
  InviteListQuery,
  InviteParams,
  InviteTokenParams,
  OrganizationParams,
} from '../organizations/schemas.js';
import { acceptInvite, createInvite, listInvites, resendInvite, revokeInvite } from './service.js';

export function inviteRoutes(app: HttpApp, ctx: OrgContext): void {
  const access = async (organizationId: string, userId: string) => loadAccess(readEm(ctx), organizationId, userId);

  app.get(
    '/api/user/organizations/:organizationId/invites',
    { schema: { params: OrganizationParams, querystring: InviteListQuery } },
    async (request, reply) => {
      const found = await access(request.params.organizationId, requireUser(request).userId);
      const { items, meta } = await listInvites(ctx, found, request.query);
      return ok(reply, 'Invitations fetched successfully', items, { meta });
    },
  );

  app.post(
    '/api/user/organizations/:organizationId/invites',
    { schema: { params: OrganizationParams, body: CreateInviteBody } },
    async (request, reply) => {
      const principal = requireUser(request);
      const found = await access(request.params.organizationId, principal.userId);
      const invite = await createInvite(
        ctx,
        found,
        { email: request.body.email, role: request.body.role ?? 'member' },
        principal,
      );
      return ok(reply, 'Invitation sent', invite, { status: 201 });
    },
  );

  app.delete(
    '/api/user/organizations/:organizationId/invites/:inviteId',
    { schema: { params: InviteParams } },
    async (request, reply) => {
      const found = await access(request.params.organizationId, requireUser(request).userId);
      await revokeInvite(ctx, found, request.params.inviteId);
      return ok(reply, 'Invitation revoked', null);
    },
  );

  app.post(
    '/api/user/organizations/:organizationId/invites/:inviteId/resend',
    { schema: { params: InviteParams } },
    async (request, reply) => {
      const found = await access(request.params.organizationId, requireUser(request).userId);
      return ok(reply, 'Invitation sent again', await resendInvite(ctx, found, request.params.inviteId));
    },
  );

  app.post('/api/user/invites/:token/accept', { schema: { params: InviteTokenParams } }, async (request, reply) =>
    ok(reply, 'Invitation accepted', await acceptInvite(ctx, requireUser(request), request.params.token, request.id)),
  );
}
