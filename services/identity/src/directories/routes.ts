import { DIRECTORY_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireCredentialManager, requirePerson } from '../credentials/limits.js';
import { requireFreshSecondFactor } from '../factors/step-up.js';
import {
  createDirectory,
  deleteDirectory,
  getDirectory,
  listDirectories,
  revokeDirectoryTokens,
  rotateDirectoryToken,
  updateDirectory,
} from './service.js';

/**
 * …/directories: an organization's SCIM directories and their tokens (owners: the contract's permission).
 * Reading takes a session or a key; anything that mints or ends a token, or changes who gets which
 * role, takes the person in a session with a fresh second factor: a directory can make owners.
 */
export function directoryRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(DIRECTORY_ROUTES.listDirectories, async (request, reply) => {
    requireCredentialManager(request);
    const { items, meta } = await listDirectories(ctx, request.tenant, request.query);
    return ok(reply, 'Directories fetched successfully', items, { meta });
  });

  routes.serve(DIRECTORY_ROUTES.createDirectory, async (request, reply) => {
    await requireFreshSession(ctx, request);
    const created = await createDirectory(ctx, request.tenant, request.body);
    return ok(reply, 'Directory created: copy its token now, it is not shown again', created, { status: 201 });
  });

  routes.serve(DIRECTORY_ROUTES.getDirectory, async (request, reply) => {
    requireCredentialManager(request);
    return ok(
      reply,
      'Directory fetched successfully',
      await getDirectory(ctx, request.tenant, request.params.directoryId),
    );
  });

  routes.serve(DIRECTORY_ROUTES.updateDirectory, async (request, reply) => {
    await requireFreshSession(ctx, request);
    const directory = await updateDirectory(ctx, request.tenant, request.params.directoryId, request.body, request.id);
    return ok(reply, 'Directory updated', directory);
  });

  routes.serve(DIRECTORY_ROUTES.deleteDirectory, async (request, reply) => {
    await requireFreshSession(ctx, request);
    await deleteDirectory(ctx, request.tenant, request.params.directoryId, request.id);
    return ok(reply, 'Directory deleted: its tokens no longer work', null);
  });

  routes.serve(DIRECTORY_ROUTES.rotateDirectoryToken, async (request, reply) => {
    await requireFreshSession(ctx, request);
    const rotated = await rotateDirectoryToken(
      ctx,
      request.tenant,
      request.params.directoryId,
      request.body?.overlapSeconds,
      request.id,
    );
    return ok(reply, 'Token rotated: copy the new token now, it is not shown again', rotated);
  });

  routes.serve(DIRECTORY_ROUTES.revokeDirectoryTokens, async (request, reply) => {
    await requireFreshSession(ctx, request);
    const directory = await revokeDirectoryTokens(ctx, request.tenant, request.params.directoryId, request.id);
    return ok(reply, 'Every token of the directory ended', directory);
  });
}

/** PERSON_ONLY, checked here too whatever the gateway's table says; then the step-up. */
async function requireFreshSession(ctx: IdentityContext, request: Parameters<typeof requirePerson>[0]) {
  await requireFreshSecondFactor(ctx, requirePerson(request));
}
