import { SSO_ADMIN_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireFreshSecondFactor } from '../factors/step-up.js';
import { createConnection, deleteConnection, getConnection, listConnections, updateConnection } from './connections.js';
import { verificationResolver } from './dns.js';
import { addDomain, deleteDomain, listDomains, verifyDomain } from './domains.js';

/** Owners configure their organization's SSO: connections and the domains they serve. */
export function ssoAdminRoutes(routes: RouteServer, ctx: IdentityContext): void {
  // Made once, so a malformed DNS_SERVERS stops the process at start rather than failing a request.
  const resolver = verificationResolver(ctx.config.DNS_SERVERS);
  routes.serve(SSO_ADMIN_ROUTES.listSsoConnections, async (request, reply) => {
    const { items, meta } = await listConnections(ctx, request.tenant, request.query);
    return ok(reply, 'SSO connections fetched successfully', items, { meta });
  });

  routes.serve(SSO_ADMIN_ROUTES.createSsoConnection, async (request, reply) => {
    await requireFreshSecondFactor(ctx, request.tenant.principal);
    const { connection, etag } = await createConnection(ctx, request.tenant, request.body);
    reply.header('etag', etag);
    return ok(reply, 'SSO connection created', connection, { status: 201 });
  });

  routes.serve(SSO_ADMIN_ROUTES.getSsoConnection, async (request, reply) => {
    const { connection, etag } = await getConnection(ctx, request.tenant, request.params.connectionId);
    reply.header('etag', etag);
    return ok(reply, 'SSO connection fetched successfully', connection);
  });

  routes.serve(SSO_ADMIN_ROUTES.updateSsoConnection, async (request, reply) => {
    await requireFreshSecondFactor(ctx, request.tenant.principal);
    const ifMatch = request.headers['if-match'];
    const { connection, etag } = await updateConnection(
      ctx,
      request.tenant,
      request.params.connectionId,
      request.body,
      typeof ifMatch === 'string' ? ifMatch : undefined,
    );
    reply.header('etag', etag);
    return ok(reply, 'SSO connection updated', connection);
  });

  routes.serve(SSO_ADMIN_ROUTES.deleteSsoConnection, async (request, reply) => {
    await requireFreshSecondFactor(ctx, request.tenant.principal);
    await deleteConnection(ctx, request.tenant, request.params.connectionId);
    return ok(reply, 'SSO connection deleted', null);
  });

  routes.serve(SSO_ADMIN_ROUTES.listOrganizationDomains, async (request, reply) => {
    const { items, meta } = await listDomains(ctx, request.tenant, request.query);
    return ok(reply, 'Domains fetched successfully', items, { meta });
  });

  routes.serve(SSO_ADMIN_ROUTES.addOrganizationDomain, async (request, reply) =>
    ok(
      reply,
      'Domain added: publish its TXT record, then verify',
      await addDomain(ctx, request.tenant, request.body.domain),
      {
        status: 201,
      },
    ),
  );

  routes.serve(SSO_ADMIN_ROUTES.verifyOrganizationDomain, async (request, reply) =>
    ok(reply, 'Domain verified', await verifyDomain(ctx, resolver, request.tenant, request.params.domainId)),
  );

  routes.serve(SSO_ADMIN_ROUTES.deleteOrganizationDomain, async (request, reply) => {
    // A verified domain routes its addresses to SSO (and may require it): removing it is a security change.
    await requireFreshSecondFactor(ctx, request.tenant.principal);
    await deleteDomain(ctx, request.tenant, request.params.domainId);
    return ok(reply, 'Domain removed', null);
  });
}
