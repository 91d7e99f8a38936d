import { AppError, MFA_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';

const notYet = async () => {
  throw new AppError('SERVICE_UNAVAILABLE', 'Not built yet');
};

/** The second step of a sign-in, passwordless passkey sign-in, and step-up (WP2 builds these). */
export function mfaSignInRoutes(routes: RouteServer, _ctx: IdentityContext): void {
  routes.serve(MFA_ROUTES.verifyMfa, notYet);
  routes.serve(MFA_ROUTES.describeMfaChallenge, notYet);
  routes.serve(MFA_ROUTES.passkeyOptions, notYet);
  routes.serve(MFA_ROUTES.passkeySignIn, notYet);
  routes.serve(MFA_ROUTES.startStepUp, notYet);
}
