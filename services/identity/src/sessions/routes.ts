import { ACCOUNT_ROUTES, AppError, AUTH_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer, requireUser } from '@gatehouse/service-kit';
import { type IdentityContext, readEm } from '../context.js';
import { requireAccountWide, requireCredentialManager } from '../credentials/limits.js';
import { clearSessionCookie } from './cookie.js';
import { liveSessionsPage, loginHistoryPage, revokeUserSession, signOut } from './service.js';

export function sessionRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(AUTH_ROUTES.signOut, async (request, reply) => {
    const principal = requireUser(request);
    if (principal.kind !== 'session') {
      throw new AppError('INSUFFICIENT_PERMISSIONS', 'Only a session can sign out; revoke API keys instead');
    }
    await signOut(ctx, principal.credentialId, request.id);
    clearSessionCookie(ctx, reply);
    return ok(reply, 'Signed out', null);
  });

  routes.serve(ACCOUNT_ROUTES.listSessions, async (request, reply) => {
    const principal = requireAccountWide(requireCredentialManager(request));
    const current = principal.kind === 'session' ? principal.credentialId : null;
    const { items, meta } = await liveSessionsPage(readEm(ctx), principal.userId, current, request.query);
    return ok(reply, 'Sessions fetched successfully', items, { meta });
  });

  routes.serve(ACCOUNT_ROUTES.revokeSession, async (request, reply) => {
    const principal = requireAccountWide(requireCredentialManager(request));
    await revokeUserSession(ctx, principal.userId, request.params.sessionId, request.id);
    return ok(reply, 'Session revoked', null);
  });

  routes.serve(ACCOUNT_ROUTES.listLoginHistory, async (request, reply) => {
    const principal = requireUser(request);
    const { items, meta } = await loginHistoryPage(readEm(ctx), principal.userId, request.query);
    return ok(reply, 'Login history fetched successfully', items, { meta });
  });
}
