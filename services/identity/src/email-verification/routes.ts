import { AUTH_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { resendVerification, verifyEmail } from './service.js';

export function emailVerificationRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(AUTH_ROUTES.verifyEmail, async (request, reply) => {
    const verified = await verifyEmail(ctx, request.query.token, request.principal, request.id);
    const message = verified.credentialsEnded
      ? 'Email verified. This request was not signed in to the account, so every session and key of it was ended and its password cleared: set a new one from the link just mailed to this address'
      : 'Email verified';
    return ok(reply, message, verified);
  });

  routes.serve(AUTH_ROUTES.sendVerificationEmail, async (request, reply) => {
    await resendVerification(ctx, request.body.email);
    return ok(reply, 'If that account exists and is unverified, a verification email is on its way', null);
  });
}
