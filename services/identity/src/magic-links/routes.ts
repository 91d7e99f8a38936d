import { AppError, MFA_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';

const notYet = async () => {
  throw new AppError('SERVICE_UNAVAILABLE', 'Not built yet');
};

/** Mailed sign-in links (WP3 builds these). */
export function magicLinkRoutes(routes: RouteServer, _ctx: IdentityContext): void {
  routes.serve(MFA_ROUTES.requestMagicLink, notYet);
  routes.serve(MFA_ROUTES.verifyMagicLink, notYet);
}
