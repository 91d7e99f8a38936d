import { SCIM_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { ScimError } from '../scim/protocol.js';

/** /scim/v2/Groups. WP0 stub. */
export function scimGroupRoutes(routes: RouteServer, _ctx: IdentityContext): void {
  const todo = async () => {
    throw new ScimError(501, 'Not implemented yet');
  };
  routes.serve(SCIM_ROUTES.scimListGroups, todo);
  routes.serve(SCIM_ROUTES.scimCreateGroup, todo);
  routes.serve(SCIM_ROUTES.scimGetGroup, todo);
  routes.serve(SCIM_ROUTES.scimReplaceGroup, todo);
  routes.serve(SCIM_ROUTES.scimPatchGroup, todo);
  routes.serve(SCIM_ROUTES.scimDeleteGroup, todo);
}
