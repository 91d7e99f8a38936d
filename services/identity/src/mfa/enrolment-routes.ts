import { AppError, MFA_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';

const notYet = async () => {
  throw new AppError('SERVICE_UNAVAILABLE', 'Not built yet');
};

/** The account's own factors: status, authenticator app, passkeys, recovery codes (WP1 builds these). */
export function mfaEnrolmentRoutes(routes: RouteServer, _ctx: IdentityContext): void {
  routes.serve(MFA_ROUTES.getMfaStatus, notYet);
  routes.serve(MFA_ROUTES.enrollTotp, notYet);
  routes.serve(MFA_ROUTES.confirmTotp, notYet);
  routes.serve(MFA_ROUTES.deleteTotp, notYet);
  routes.serve(MFA_ROUTES.passkeyRegistrationOptions, notYet);
  routes.serve(MFA_ROUTES.passkeyRegistrationVerify, notYet);
  routes.serve(MFA_ROUTES.listPasskeys, notYet);
  routes.serve(MFA_ROUTES.renamePasskey, notYet);
  routes.serve(MFA_ROUTES.deletePasskey, notYet);
  routes.serve(MFA_ROUTES.regenerateRecoveryCodes, notYet);
}
