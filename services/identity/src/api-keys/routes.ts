import { API_KEY_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireCredentialManager } from '../credentials/limits.js';
import { requireFreshSecondFactor } from '../factors/step-up.js';
import { createApiKey, deleteApiKey, getApiKey, listApiKeys, updateApiKey } from './service.js';

export function apiKeyRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(API_KEY_ROUTES.createApiKey, async (request, reply) => {
    const principal = requireCredentialManager(request);
    await requireFreshSecondFactor(ctx, principal);
    return ok(reply, 'API key created', await createApiKey(ctx, principal, request.body));
  });

  routes.serve(API_KEY_ROUTES.listApiKeys, async (request, reply) => {
    const { items, meta } = await listApiKeys(ctx, requireCredentialManager(request), request.query);
    return ok(reply, 'API keys fetched successfully', items, { meta });
  });

  routes.serve(API_KEY_ROUTES.getApiKey, async (request, reply) =>
    ok(
      reply,
      'API key fetched successfully',
      await getApiKey(ctx, requireCredentialManager(request), request.query.id),
    ),
  );

  routes.serve(API_KEY_ROUTES.updateApiKey, async (request, reply) => {
    const principal = requireCredentialManager(request);
    await requireFreshSecondFactor(ctx, principal);
    return ok(reply, 'API key updated', await updateApiKey(ctx, principal, request.body, request.id));
  });

  routes.serve(API_KEY_ROUTES.deleteApiKey, async (request, reply) => {
    await deleteApiKey(ctx, requireCredentialManager(request), request.body.keyId, request.id);
    return ok(reply, 'API key deleted', null);
  });
}
