import { OAUTH_APP_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireCredentialManager } from '../credentials/limits.js';
import { requireFreshSecondFactor } from '../factors/step-up.js';
import { createOAuthApp, deleteOAuthApp, getOAuthApp, listOAuthApps, updateOAuthApp } from './service.js';

export function oauthAppRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(OAUTH_APP_ROUTES.listOAuthApps, async (request, reply) => {
    const { items, meta } = await listOAuthApps(ctx, requireCredentialManager(request), request.query);
    return ok(reply, 'OAuth apps fetched successfully', items, { meta });
  });

  routes.serve(OAUTH_APP_ROUTES.createOAuthApp, async (request, reply) => {
    const principal = requireCredentialManager(request);
    await requireFreshSecondFactor(ctx, principal);
    const created = await createOAuthApp(ctx, principal, request.body);
    return ok(reply, 'OAuth app created; the secret is shown only now', created, { status: 201 });
  });

  routes.serve(OAUTH_APP_ROUTES.getOAuthApp, async (request, reply) =>
    ok(
      reply,
      'OAuth app fetched successfully',
      await getOAuthApp(ctx, requireCredentialManager(request), request.params.id),
    ),
  );

  routes.serve(OAUTH_APP_ROUTES.updateOAuthApp, async (request, reply) => {
    const principal = requireCredentialManager(request);
    await requireFreshSecondFactor(ctx, principal);
    const updated = await updateOAuthApp(ctx, principal, request.params.id, request.body, request.id);
    return ok(reply, 'OAuth app updated', updated);
  });

  routes.serve(OAUTH_APP_ROUTES.deleteOAuthApp, async (request, reply) => {
    await deleteOAuthApp(ctx, requireCredentialManager(request), request.params.id, request.id);
    return ok(reply, 'OAuth app deleted', null);
  });
}
