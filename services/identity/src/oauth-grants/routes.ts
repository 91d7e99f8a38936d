import { OAUTH_APP_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireCredentialManager } from '../credentials/limits.js';
import { listGrants, revokeGrant } from './service.js';

export function oauthGrantRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(OAUTH_APP_ROUTES.listOAuthGrants, async (request, reply) => {
    const { items, meta } = await listGrants(ctx, requireCredentialManager(request).userId, request.query);
    return ok(reply, 'OAuth grants fetched successfully', items, { meta });
  });

  routes.serve(OAUTH_APP_ROUTES.revokeOAuthGrant, async (request, reply) => {
    await revokeGrant(ctx, requireCredentialManager(request), request.params.grantId, request.id);
    return ok(reply, 'Access revoked; the app can no longer act for you', null);
  });
}
