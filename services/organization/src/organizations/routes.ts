import { type HttpApp, ok, requireUser } from '@gatehouse/service-kit';
import { type OrgContext, readEm } from '../context.js';
import { loadAccess } from './access.js';
import { presentOrganization } from './entities.js';
import {
  CreateOrganizationBody,
  OrganizationListQuery,
  OrganizationParams,
  UpdateOrganizationBody,
} from './schemas.js';
import {
  createOrganization,
  deleteOrganization,
  listOrganizations,
  presentMembership,
  updateOrganization,
} from './service.js';

export function organizationRoutes(app: HttpApp, ctx: OrgContext): void {
  app.get('/api/user/organizations', { schema: { querystring: OrganizationListQuery } }, async (request, reply) => {
    const { items, meta } = await listOrganizations(ctx, requireUser(request), request.query);
    return ok(reply, 'Organizations fetched successfully', items, { meta });
  });

  app.post('/api/user/organizations', { schema: { body: CreateOrganizationBody } }, async (request, reply) =>
    ok(reply, 'Organization created', await createOrganization(ctx, requireUser(request), request.body, request.id), {
      status: 201,
    }),
  );

  app.get(
    '/api/user/organizations/:organizationId',
    { schema: { params: OrganizationParams } },
    async (request, reply) => {
      const access = await loadAccess(readEm(ctx), request.params.organizationId, requireUser(request).userId);
      return ok(
        reply,
        'Organization fetched successfully',
        presentOrganization(access.organization, access.member.role),
      );
    },
  );

  app.put(
    '/api/user/organizations/:organizationId',
    { schema: { params: OrganizationParams, body: UpdateOrganizationBody } },
    async (request, reply) => {
      const access = await loadAccess(readEm(ctx), request.params.organizationId, requireUser(request).userId);
      return ok(reply, 'Organization updated', await updateOrganization(ctx, access, request.body, request.id));
    },
  );

  app.delete(
    '/api/user/organizations/:organizationId',
    { schema: { params: OrganizationParams } },
    async (request, reply) => {
      const access = await loadAccess(readEm(ctx), request.params.organizationId, requireUser(request).userId);
      await deleteOrganization(ctx, access, request.id);
      return ok(reply, 'Organization deleted', null);
    },
  );

  app.get(
    '/api/user/organizations/:organizationId/my-membership',
    { schema: { params: OrganizationParams } },
    async (request, reply) => {
      const access = await loadAccess(readEm(ctx), request.params.organizationId, requireUser(request).userId);
      return ok(reply, 'Membership fetched successfully', presentMembership(access));
    },
  );
}
