import { EVERY_CREDENTIAL_PURGE_ID, MFA_ROUTES, REVOKED_CREDENTIALS_HEADER } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { getSecuritySettings, updateSecuritySettings } from './service.js';

/** An organization's security settings: whether every member needs a second factor. */
export function organizationSecurityRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(MFA_ROUTES.getSecuritySettings, async (request, reply) =>
    ok(reply, 'Security settings fetched successfully', await getSecuritySettings(ctx, request.tenant)),
  );

  routes.serve(MFA_ROUTES.updateSecuritySettings, async (request, reply) => {
    const { settings, changed } = await updateSecuritySettings(ctx, request.tenant, request.body, request.id);
    // The serving gateway drops every cached principal before the client hears "saved" (the event covers
    // the other replicas): each one carries `mfaBlockedIn`.
    if (changed) reply.header(REVOKED_CREDENTIALS_HEADER, EVERY_CREDENTIAL_PURGE_ID);
    return ok(reply, 'Security settings saved', settings);
  });
}
