import { type HttpApp, ok } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireCredentialManager } from '../credentials/limits.js';
import { GrantParams, ListGrantsQuery } from './schemas.js';
import { listGrants, revokeGrant } from './service.js';

export function oauthGrantRoutes(app: HttpApp, ctx: IdentityContext): void {
  app.get('/api/user/oauth-grants', { schema: { querystring: ListGrantsQuery } }, async (request, reply) => {
    const { items, meta } = await listGrants(ctx, requireCredentialManager(request).userId, request.query);
    return ok(reply, 'OAuth grants fetched successfully', items, { meta });
  });

  app.delete('/api/user/oauth-grants/:grantId', { schema: { params: GrantParams } }, async (request, reply) => {
    await revokeGrant(ctx, requireCredentialManager(request), request.params.grantId, request.id);
    return ok(reply, 'Access revoked; the app can no longer act for you', null);
  });
}
