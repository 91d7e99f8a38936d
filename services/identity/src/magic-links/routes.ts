import { MFA_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { answerFirstFactor } from '../mfa/sign-in-answer.js';
import { clientInfo } from '../sessions/sign-in.js';
import { mailMagicLinkLater, signInWithMagicLink } from './service.js';

/** Mailed sign-in links: one request mails it, the console's page posts it back. */
export function magicLinkRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(MFA_ROUTES.requestMagicLink, async (request, reply) => {
    mailMagicLinkLater(ctx, request.body.email);
    return ok(reply, 'If that account exists, a sign-in link is on its way', null);
  });

  routes.serve(MFA_ROUTES.verifyMagicLink, async (request, reply) => {
    const result = await signInWithMagicLink(ctx, request.body.token, clientInfo(request), request.id);
    // A challenge sets no cookie: only its completion (POST /api/auth/mfa/verify) does.
    return answerFirstFactor(ctx, reply, result);
  });
}
