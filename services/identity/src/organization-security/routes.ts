import { AppError, MFA_ROUTES } from '@gatehouse/contracts';
import type { RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';

const notYet = async () => {
  throw new AppError('SERVICE_UNAVAILABLE', 'Not built yet');
};

/** An organization's security settings (WP4 builds these). */
export function organizationSecurityRoutes(routes: RouteServer, _ctx: IdentityContext): void {
  routes.serve(MFA_ROUTES.getSecuritySettings, notYet);
  routes.serve(MFA_ROUTES.updateSecuritySettings, notYet);
}
