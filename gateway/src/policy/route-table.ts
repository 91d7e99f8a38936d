import { policyOf, ROUTES, type RoutePolicy } from '@gatehouse/contracts';

/**
 * Every route that reaches a service, compiled from the route contracts
 * (shared/contracts/src/routes). A request that matches no line is answered 404 by the gateway
 * and never proxied. `scopes` is what a PAT or OAuth token needs (a session holds every scope);
 * roles are checked by the owning service. The authorization server (/oauth2) is proxied by
 * prefix and has no lines here.
 */
export const ROUTE_TABLE: RoutePolicy[] = ROUTES.map(policyOf);
