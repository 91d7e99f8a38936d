import { SCIM_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { ScimError } from '../scim/protocol.js';

/** /scim/v2/Users. WP0 stub. */
export function scimUserRoutes(routes: RouteServer, _ctx: IdentityContext): void {
  const todo = async () => {
    throw new ScimError(501, 'Not implemented yet');
  };
  routes.serve(SCIM_ROUTES.scimListUsers, todo);
  routes.serve(SCIM_ROUTES.scimCreateUser, todo);
  routes.serve(SCIM_ROUTES.scimGetUser, todo);
  routes.serve(SCIM_ROUTES.scimReplaceUser, todo);
  routes.serve(SCIM_ROUTES.scimPatchUser, todo);
  routes.serve(SCIM_ROUTES.scimDeleteUser, todo);
}
