import { AUTH_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requirePerson } from '../credentials/limits.js';
import { requireFreshSecondFactor } from '../factors/step-up.js';
import { changePassword, requestPasswordReset, resetPassword } from './service.js';

export function passwordRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(AUTH_ROUTES.requestPasswordReset, async (request, reply) => {
    await requestPasswordReset(ctx, request.body.email);
    return ok(reply, 'If that account exists, a password reset email is on its way', null);
  });

  routes.serve(AUTH_ROUTES.resetPassword, async (request, reply) => {
    await resetPassword(ctx, request.body.token, request.body.newPassword, request.id);
    return ok(reply, 'Password reset; sign in with the new password', null);
  });

  routes.serve(AUTH_ROUTES.changePassword, async (request, reply) => {
    const principal = requirePerson(request);
    await requireFreshSecondFactor(ctx, principal);
    await changePassword(ctx, principal.userId, principal.credentialId, request.body, request.id);
    return ok(reply, 'Password changed', null);
  });
}
