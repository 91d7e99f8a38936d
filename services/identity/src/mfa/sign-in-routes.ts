import { AUTH_ROUTES, MFA_ROUTES } from '@gatehouse/contracts';
import { ok, optionalUser, type RouteServer, requireUser } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { describeChallenge } from '../mfa-challenges/describe.js';
import { completeFirstFactor } from '../mfa-challenges/first-factor.js';
import { passkeySignIn, startPasskeySignIn } from '../mfa-challenges/passwordless.js';
import { startStepUp } from '../mfa-challenges/step-up.js';
import { verifyChallenge } from '../mfa-challenges/verify.js';
import { setSessionCookie } from '../sessions/cookie.js';
import type { Session } from '../sessions/entities.js';
import { clientInfo, provePassword } from '../sessions/sign-in.js';
import type { User } from '../users/entities.js';
import { answerFirstFactor, signedInAnswer } from './sign-in-answer.js';

/** The second step of a sign-in, passwordless passkey sign-in, and step-up. */
export function mfaSignInRoutes(routes: RouteServer, ctx: IdentityContext): void {
  const signedIn = (user: User, session: Session) => signedInAnswer(ctx, user, session);

  // An account without a second factor gets exactly what it always got: the session and its cookie.
  routes.serve(AUTH_ROUTES.signIn, async (request, reply) => {
    const client = clientInfo(request);
    const { user, organizationCount } = await provePassword(ctx, request.body, client);
    const result = await completeFirstFactor(ctx, user, 'pwd', client, { rememberMe: request.body.rememberMe });
    return answerFirstFactor(ctx, reply, result, organizationCount);
  });

  routes.serve(MFA_ROUTES.verifyMfa, async (request, reply) => {
    const principal = optionalUser(request);
    const result = await verifyChallenge(ctx, request.body, clientInfo(request), principal, {
      requestId: request.id,
    });
    if (result.kind === 'stepped_up') {
      return ok(reply, 'Second factor confirmed', await signedIn(result.user, result.session));
    }
    setSessionCookie(ctx, reply, result.token, result.session);
    return ok(reply, 'Signed in successfully', {
      ...(await signedIn(result.user, result.session)),
      ...(result.redirectTo ? { redirectTo: result.redirectTo } : {}),
    });
  });

  routes.serve(MFA_ROUTES.describeMfaChallenge, async (request, reply) => {
    return ok(reply, 'Second factor required', await describeChallenge(ctx, request.body.challengeId));
  });

  routes.serve(MFA_ROUTES.passkeyOptions, async (request, reply) => {
    return ok(reply, 'Passkey sign-in started', await startPasskeySignIn(ctx, clientInfo(request)));
  });

  routes.serve(MFA_ROUTES.passkeySignIn, async (request, reply) => {
    const { token, session, user } = await passkeySignIn(ctx, request.body, clientInfo(request));
    setSessionCookie(ctx, reply, token, session);
    return ok(reply, 'Signed in successfully', await signedIn(user, session));
  });

  routes.serve(MFA_ROUTES.startStepUp, async (request, reply) => {
    const challenge = await startStepUp(ctx, requireUser(request), clientInfo(request));
    return ok(reply, 'Second factor required', challenge);
  });
}
