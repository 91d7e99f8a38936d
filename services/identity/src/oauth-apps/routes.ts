import { type HttpApp, ok } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireCredentialManager } from '../credentials/limits.js';
import { CreateOAuthAppBody, ListOAuthAppsQuery, OAuthAppParams, UpdateOAuthAppBody } from './schemas.js';
import { createOAuthApp, deleteOAuthApp, getOAuthApp, listOAuthApps, updateOAuthApp } from './service.js';

export function oauthAppRoutes(app: HttpApp, ctx: IdentityContext): void {
  app.get('/api/user/oauth-apps', { schema: { querystring: ListOAuthAppsQuery } }, async (request, reply) => {
    const { items, meta } = await listOAuthApps(ctx, requireCredentialManager(request), request.query);
    return ok(reply, 'OAuth apps fetched successfully', items, { meta });
  });

  app.post('/api/user/oauth-apps', { schema: { body: CreateOAuthAppBody } }, async (request, reply) => {
    const created = await createOAuthApp(ctx, requireCredentialManager(request), request.body);
    return ok(reply, 'OAuth app created; the secret is shown only now', created, { status: 201 });
  });

  app.get('/api/user/oauth-apps/:id', { schema: { params: OAuthAppParams } }, async (request, reply) =>
    ok(
      reply,
      'OAuth app fetched successfully',
      await getOAuthApp(ctx, requireCredentialManager(request), request.params.id),
    ),
  );

  app.put(
    '/api/user/oauth-apps/:id',
    { schema: { params: OAuthAppParams, body: UpdateOAuthAppBody } },
    async (request, reply) => {
      const updated = await updateOAuthApp(
        ctx,
        requireCredentialManager(request),
        request.params.id,
        request.body,
        request.id,
      );
      return ok(reply, 'OAuth app updated', updated);
    },
  );

  app.delete('/api/user/oauth-apps/:id', { schema: { params: OAuthAppParams } }, async (request, reply) => {
    await deleteOAuthApp(ctx, requireCredentialManager(request), request.params.id, request.id);
    return ok(reply, 'OAuth app deleted', null);
  });
}
