import { type HttpApp, ok, requireUser } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requirePerson } from '../credentials/limits.js';
import { changePassword, requestPasswordReset, resendVerification, resetPassword, verifyEmail } from './flows.js';
import { ChangePasswordBody, EmailOnlyBody, ResetPasswordBody, VerifyEmailQuery } from './schemas.js';

export function verificationRoutes(app: HttpApp, ctx: IdentityContext): void {
  app.get('/api/auth/verify-email', { schema: { querystring: VerifyEmailQuery } }, async (request, reply) => {
    const verified = await verifyEmail(ctx, request.query.token, request.principal, request.id);
    const message = verified.credentialsEnded
      ? 'Email verified. This request was not signed in to the account, so every session and key of it was ended and its password cleared: set a new one from the link just mailed to this address'
      : 'Email verified';
    return ok(reply, message, verified);
  });

  app.post('/api/auth/send-verification-email', { schema: { body: EmailOnlyBody } }, async (request, reply) => {
    await resendVerification(ctx, request.body.email);
    return ok(reply, 'If that account exists and is unverified, a verification email is on its way', null);
  });

  app.post('/api/auth/request-password-reset', { schema: { body: EmailOnlyBody } }, async (request, reply) => {
    await requestPasswordReset(ctx, request.body.email);
    return ok(reply, 'If that account exists, a password reset email is on its way', null);
  });

  app.post('/api/auth/reset-password', { schema: { body: ResetPasswordBody } }, async (request, reply) => {
    await resetPassword(ctx, request.body.token, request.body.newPassword, request.id);
    return ok(reply, 'Password reset; sign in with the new password', null);
  });

  app.post('/api/auth/change-password', { schema: { body: ChangePasswordBody } }, async (request, reply) => {
    const principal = requirePerson(request);
    await changePassword(ctx, principal.userId, principal.credentialId, request.body, request.id);
    return ok(reply, 'Password changed', null);
  });
}
