import { type HttpApp, ok, requireUser } from '@gatehouse/service-kit';
import { type OrgContext, readEm } from '../context.js';
import { loadAccess } from '../organizations/access.js';
import { ChangeRoleBody, MemberListQuery, MemberParams, OrganizationParams } from '../organizations/schemas.js';
import { changeRole, listMembers, removeMember } from './service.js';

export function memberRoutes(app: HttpApp, ctx: OrgContext): void {
  app.get(
    '/api/user/organizations/:organizationId/members',
    { schema: { params: OrganizationParams, querystring: MemberListQuery } },
    async (request, reply) => {
      const access = await loadAccess(readEm(ctx), request.params.organizationId, requireUser(request).userId);
      const { items, meta } = await listMembers(ctx, access, request.query);
      return ok(reply, 'Members fetched successfully', items, { meta });
    },
  );

  app.put(
    '/api/user/organizations/:organizationId/members/:memberId/role',
    { schema: { params: MemberParams, body: ChangeRoleBody } },
    async (request, reply) => {
      const { organizationId, memberId } = request.params;
      const member = await changeRole(
        ctx,
        requireUser(request),
        organizationId,
        memberId,
        request.body.role,
        request.id,
      );
      return ok(reply, 'Member role updated', member);
    },
  );

  app.delete(
    '/api/user/organizations/:organizationId/members/:memberId',
    { schema: { params: MemberParams } },
    async (request, reply) => {
      const { organizationId, memberId } = request.params;
      await removeMember(ctx, requireUser(request), organizationId, memberId, request.id);
      return ok(reply, 'Member removed', null);
    },
  );
}
