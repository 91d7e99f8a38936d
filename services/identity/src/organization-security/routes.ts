import { MFA_ROUTES, REVOKED_CREDENTIALS_HEADER } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { getSecuritySettings, updateSecuritySettings } from './service.js';

/**
 * Asks the gateway serving the answer to drop every cached principal before the client hears "saved",
 * as the revocation header does for one credential; the event covers the other replicas.
 */
const EVERY_CACHED_CREDENTIAL = '*';

/** An organization's security settings: whether every member needs a second factor. */
export function organizationSecurityRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(MFA_ROUTES.getSecuritySettings, async (request, reply) =>
    ok(reply, 'Security settings fetched successfully', await getSecuritySettings(ctx, request.tenant)),
  );

  routes.serve(MFA_ROUTES.updateSecuritySettings, async (request, reply) => {
    const { settings, changed } = await updateSecuritySettings(ctx, request.tenant, request.body, request.id);
    if (changed) reply.header(REVOKED_CREDENTIALS_HEADER, EVERY_CACHED_CREDENTIAL);
    return ok(reply, 'Security settings saved', settings);
  });
}
