import { AUDIT_ROUTES } from './audit.js';
import { BILLING_ROUTES } from './billing.js';
import { type NamedRouteContract, namedRoutes } from './contract.js';
import { AUTHORIZATION_SERVER_ENDPOINTS, IDENTITY_ROUTES } from './identity/index.js';
import { ORGANIZATION_ROUTES } from './organization.js';
import { PROJECT_ROUTES } from './project.js';

export * from './audit.js';
export * from './billing.js';
export * from './common.js';
export * from './contract.js';
export * from './identity/index.js';
export * from './organization.js';
export * from './project.js';

/** Every public route of every service, in the order the reference lists them. */
export const ROUTES: readonly NamedRouteContract[] = [
  ...namedRoutes(IDENTITY_ROUTES),
  ...namedRoutes(ORGANIZATION_ROUTES),
  ...namedRoutes(PROJECT_ROUTES),
  ...namedRoutes(AUDIT_ROUTES),
  ...namedRoutes(BILLING_ROUTES),
];

/**
 * The authorization server's endpoints (identity's oidc-provider and its login and consent pages).
 * Not in ROUTES: the gateway proxies them by prefix, not from its route table.
 */
export const AUTHORIZATION_SERVER_ROUTES: readonly NamedRouteContract[] = namedRoutes(AUTHORIZATION_SERVER_ENDPOINTS);
