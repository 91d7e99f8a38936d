import { ORGANIZATION_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer, requireUser } from '@gatehouse/service-kit';
import type { OrgContext } from '../context.js';
import {
  createOrganization,
  deleteOrganization,
  getMyMembership,
  getOrganization,
  listOrganizations,
  updateOrganization,
} from './service.js';

export function organizationRoutes(routes: RouteServer, ctx: OrgContext): void {
  routes.serve(ORGANIZATION_ROUTES.listOrganizations, async (request, reply) => {
    const { items, meta } = await listOrganizations(ctx, requireUser(request), request.query);
    return ok(reply, 'Organizations fetched successfully', items, { meta });
  });

  routes.serve(ORGANIZATION_ROUTES.createOrganization, async (request, reply) =>
    ok(reply, 'Organization created', await createOrganization(ctx, requireUser(request), request.body, request.id), {
      status: 201,
    }),
  );

  routes.serve(ORGANIZATION_ROUTES.getOrganization, async (request, reply) =>
    ok(reply, 'Organization fetched successfully', await getOrganization(ctx, request.tenant)),
  );

  routes.serve(ORGANIZATION_ROUTES.updateOrganization, async (request, reply) =>
    ok(reply, 'Organization updated', await updateOrganization(ctx, request.tenant, request.body, request.id)),
  );

  routes.serve(ORGANIZATION_ROUTES.deleteOrganization, async (request, reply) => {
    await deleteOrganization(ctx, request.tenant, request.id);
    return ok(reply, 'Organization deleted', null);
  });

  routes.serve(ORGANIZATION_ROUTES.getMyMembership, async (request, reply) =>
    ok(reply, 'Membership fetched successfully', await getMyMembership(ctx, request.tenant)),
  );
}
