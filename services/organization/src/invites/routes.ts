import { ORGANIZATION_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer, requireUser } from '@gatehouse/service-kit';
import type { OrgContext } from '../context.js';
import { acceptInvite, createInvite, listInvites, resendInvite, revokeInvite } from './service.js';

export function inviteRoutes(routes: RouteServer, ctx: OrgContext): void {
  routes.serve(ORGANIZATION_ROUTES.listInvites, async (request, reply) => {
    const { items, meta } = await listInvites(ctx, request.tenant, request.query);
    return ok(reply, 'Invitations fetched successfully', items, { meta });
  });

  routes.serve(ORGANIZATION_ROUTES.createInvite, async (request, reply) => {
    const input = { email: request.body.email, role: request.body.role ?? 'member' };
    return ok(reply, 'Invitation sent', await createInvite(ctx, request.tenant, input), { status: 201 });
  });

  routes.serve(ORGANIZATION_ROUTES.revokeInvite, async (request, reply) => {
    await revokeInvite(ctx, request.tenant, request.params.inviteId);
    return ok(reply, 'Invitation revoked', null);
  });

  routes.serve(ORGANIZATION_ROUTES.resendInvite, async (request, reply) =>
    ok(reply, 'Invitation sent again', await resendInvite(ctx, request.tenant, request.params.inviteId)),
  );

  routes.serve(ORGANIZATION_ROUTES.acceptInvite, async (request, reply) =>
    ok(reply, 'Invitation accepted', await acceptInvite(ctx, requireUser(request), request.params.token, request.id)),
  );
}
