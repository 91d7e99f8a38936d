import { ORGANIZATION_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { OrgContext } from '../context.js';
import { changeRole, listMembers, removeMember } from './service.js';

export function memberRoutes(routes: RouteServer, ctx: OrgContext): void {
  routes.serve(ORGANIZATION_ROUTES.listMembers, async (request, reply) => {
    const { items, meta } = await listMembers(ctx, request.tenant, request.query);
    return ok(reply, 'Members fetched successfully', items, { meta });
  });

  routes.serve(ORGANIZATION_ROUTES.changeMemberRole, async (request, reply) => {
    const member = await changeRole(ctx, request.tenant, request.params.memberId, request.body.role, request.id);
    return ok(reply, 'Member role updated', member);
  });

  routes.serve(ORGANIZATION_ROUTES.removeMember, async (request, reply) => {
    await removeMember(ctx, request.tenant, request.params.memberId, request.id);
    return ok(reply, 'Member removed', null);
  });
}
