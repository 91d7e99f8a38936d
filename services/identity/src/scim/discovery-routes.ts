import { SCIM_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { ScimError } from './protocol.js';

/** ServiceProviderConfig, ResourceTypes, Schemas (RFC 7644 §4). WP0 stub. */
export function scimDiscoveryRoutes(routes: RouteServer, _ctx: IdentityContext): void {
  const todo = async () => {
    throw new ScimError(501, 'Not implemented yet');
  };
  routes.serve(SCIM_ROUTES.scimServiceProviderConfig, todo);
  routes.serve(SCIM_ROUTES.scimListResourceTypes, todo);
  routes.serve(SCIM_ROUTES.scimGetResourceType, todo);
  routes.serve(SCIM_ROUTES.scimListSchemas, todo);
  routes.serve(SCIM_ROUTES.scimGetSchema, todo);
}
