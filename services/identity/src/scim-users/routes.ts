import { SCIM_ROUTES } from '@gatehouse/contracts';
import { type RouteServer, requireDirectory } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { sendScim } from '../scim/protocol.js';
import {
  createScimUser,
  getScimUser,
  listScimUsers,
  patchScimUser,
  removeScimUser,
  replaceScimUser,
} from './service.js';

/** /scim/v2/Users: what Okta and Entra ID provision (docs/scim.md). */
export function scimUserRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(SCIM_ROUTES.scimListUsers, async (request, reply) =>
    sendScim(reply, 200, await listScimUsers(ctx, requireDirectory(request), request.query)),
  );

  routes.serve(SCIM_ROUTES.scimCreateUser, async (request, reply) => {
    const user = await createScimUser(ctx, requireDirectory(request), request.body, request.id);
    return sendScim(reply, 201, user, user.meta.location);
  });

  routes.serve(SCIM_ROUTES.scimGetUser, async (request, reply) =>
    sendScim(reply, 200, await getScimUser(ctx, requireDirectory(request), request.params.id, request.query)),
  );

  routes.serve(SCIM_ROUTES.scimReplaceUser, async (request, reply) =>
    sendScim(
      reply,
      200,
      await replaceScimUser(ctx, requireDirectory(request), request.params.id, request.body, request.id),
    ),
  );

  routes.serve(SCIM_ROUTES.scimPatchUser, async (request, reply) =>
    sendScim(
      reply,
      200,
      await patchScimUser(ctx, requireDirectory(request), request.params.id, request.body, request.id),
    ),
  );

  routes.serve(SCIM_ROUTES.scimDeleteUser, async (request, reply) => {
    await removeScimUser(ctx, requireDirectory(request), request.params.id, request.id);
    return sendScim(reply, 204);
  });
}
