import { MFA_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import { type IdentityContext, readEm } from '../context.js';
import { organizationCount } from '../memberships/service.js';
import { setSessionCookie } from '../sessions/cookie.js';
import { clientInfo } from '../sessions/sign-in.js';
import { presentUser } from '../users/entities.js';
import { mailMagicLinkLater, signInWithMagicLink } from './service.js';

/** Mailed sign-in links: one request mails it, the console's page posts it back. */
export function magicLinkRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(MFA_ROUTES.requestMagicLink, async (request, reply) => {
    mailMagicLinkLater(ctx, request.body.email);
    return ok(reply, 'If that account exists, a sign-in link is on its way', null);
  });

  routes.serve(MFA_ROUTES.verifyMagicLink, async (request, reply) => {
    const result = await signInWithMagicLink(ctx, request.body.token, clientInfo(request), request.id);
    // No session yet: the second factor comes first, and only its completion sets the cookie.
    if (result.kind === 'challenge') return ok(reply, 'Second factor required', result.challenge);
    setSessionCookie(ctx, reply, result.token, result.session);
    const count = await organizationCount(readEm(ctx), result.user.id);
    return ok(reply, 'Signed in successfully', {
      user: presentUser(result.user, count),
      session: { id: result.session.id, expiresAt: result.session.expiresAt.toISOString() },
    });
  });
}
