import { DIRECTORY_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';

/** …/directories: an organization's SCIM directories and their tokens. WP0 stub. */
export function directoryRoutes(routes: RouteServer, _ctx: IdentityContext): void {
  const todo = async () => {
    throw new Error('not implemented yet');
  };
  for (const contract of Object.values(DIRECTORY_ROUTES)) routes.serve(contract, todo);
}
