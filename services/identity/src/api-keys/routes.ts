import { type HttpApp, ok } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireCredentialManager } from '../credentials/limits.js';
import { ApiKeyIdQuery, CreateApiKeyBody, DeleteApiKeyBody, ListApiKeysQuery, UpdateApiKeyBody } from './schemas.js';
import { createApiKey, deleteApiKey, getApiKey, listApiKeys, updateApiKey } from './service.js';

export function apiKeyRoutes(app: HttpApp, ctx: IdentityContext): void {
  app.post('/api/auth/api-key/create', { schema: { body: CreateApiKeyBody } }, async (request, reply) =>
    ok(reply, 'API key created', await createApiKey(ctx, requireCredentialManager(request), request.body)),
  );

  app.get('/api/auth/api-key/list', { schema: { querystring: ListApiKeysQuery } }, async (request, reply) => {
    const { items, meta } = await listApiKeys(ctx, requireCredentialManager(request), request.query);
    return ok(reply, 'API keys fetched successfully', items, { meta });
  });

  app.get('/api/auth/api-key/get', { schema: { querystring: ApiKeyIdQuery } }, async (request, reply) =>
    ok(
      reply,
      'API key fetched successfully',
      await getApiKey(ctx, requireCredentialManager(request), request.query.id),
    ),
  );

  app.post('/api/auth/api-key/update', { schema: { body: UpdateApiKeyBody } }, async (request, reply) =>
    ok(reply, 'API key updated', await updateApiKey(ctx, requireCredentialManager(request), request.body, request.id)),
  );

  app.post('/api/auth/api-key/delete', { schema: { body: DeleteApiKeyBody } }, async (request, reply) => {
    await deleteApiKey(ctx, requireCredentialManager(request), request.body.keyId, request.id);
    return ok(reply, 'API key deleted', null);
  });
}
