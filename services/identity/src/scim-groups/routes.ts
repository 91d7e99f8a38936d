import { SCIM_ROUTES } from '@gatehouse/contracts';
import { type RouteServer, requireDirectory } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { sendScim } from '../scim/protocol.js';
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from './service.js';

/** /scim/v2/Groups (RFC 7644 §3): a directory's groups, whose members get the roles the groups map to. */
export function scimGroupRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(SCIM_ROUTES.scimListGroups, async (request, reply) => {
    const principal = requireDirectory(request);
    return sendScim(reply, 200, await listGroups(ctx, principal, request.query));
  });

  routes.serve(SCIM_ROUTES.scimCreateGroup, async (request, reply) => {
    const principal = requireDirectory(request);
    const group = await createGroup(ctx, principal, request.body, request.id);
    return sendScim(reply, 201, group, group.meta.location);
  });

  routes.serve(SCIM_ROUTES.scimGetGroup, async (request, reply) => {
    const principal = requireDirectory(request);
    return sendScim(reply, 200, await getGroup(ctx, principal, request.params.id, request.query));
  });

  routes.serve(SCIM_ROUTES.scimReplaceGroup, async (request, reply) => {
    const principal = requireDirectory(request);
    return sendScim(reply, 200, await replaceGroup(ctx, principal, request.params.id, request.body, request.id));
  });

  routes.serve(SCIM_ROUTES.scimPatchGroup, async (request, reply) => {
    const principal = requireDirectory(request);
    await patchGroup(ctx, principal, request.params.id, request.body.Operations, request.id);
    return sendScim(reply, 204);
  });

  routes.serve(SCIM_ROUTES.scimDeleteGroup, async (request, reply) => {
    const principal = requireDirectory(request);
    await deleteGroup(ctx, principal, request.params.id, request.id);
    return sendScim(reply, 204);
  });
}
