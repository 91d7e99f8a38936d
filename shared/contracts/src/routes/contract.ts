import type { TSchema } from 'typebox';
import type { ErrorCode } from '../errors.js';
import type { EndpointLimit, HttpMethod, RoutePolicy, Upstream } from '../policy.js';
import type { CredentialKind } from '../principal.js';
import type { RolePermission, TokenScope } from '../scopes.js';

/** What a route answers when it succeeds. */
export interface RouteResponse {
  status: 200 | 201 | 202 | 204 | 302 | 303;
  /**
   * The schema of `data` in the success envelope; for a list, of one item (`data` is the array and
   * `meta` the list meta). Absent only for answers that are not an envelope (a redirect, a page).
   */
  data?: TSchema;
  list?: boolean;
  /**
   * The whole body of an answer that is not an envelope but has a schema (an OAuth token response,
   * a JWKS), in `contentType`.
   */
  body?: TSchema;
  /** A non-envelope answer's media type (e.g. `text/html` for a page a browser follows). */
  contentType?: string;
  /** The same answer in other media types, chosen by the request (an export's `format=csv`). */
  alternateContentTypes?: readonly string[];
  /** Answer headers worth documenting, by name: their meaning. */
  headers?: Readonly<Record<string, string>>;
}

/** How a route answers its failures when that is not the error envelope. */
export interface RouteErrorResponse {
  /** The statuses it fails with (e.g. 400 and 401 at the token endpoint). */
  statuses: readonly number[];
  contentType: string;
  /** The body's schema, when it is JSON (the OAuth `{error, error_description}`). */
  body?: TSchema;
  description?: string;
}

/**
 * One public route, declared once. Services register their handler against it (service-kit
 * `routeServer`), the gateway compiles its policy from it, and the OpenAPI document is built from it.
 * Data only: no code runs from here.
 */
export interface RouteContract {
  method: HttpMethod;
  /** fastify/find-my-way syntax: `/api/user/organizations/:organizationId`. */
  path: string;
  upstream: Upstream;
  /** One line for the reference; `description` for the rest. */
  summary: string;
  description?: string;
  /** The reference's section. */
  tag: string;
  /** `optional`: the gateway resolves a credential when one is presented, and lets the request on without. */
  auth: 'none' | 'required' | 'optional';
  /** A PAT or OAuth token needs at least one of these (a session holds every scope). */
  scopes?: readonly TokenScope[];
  /** Only these credential kinds may call the route (default: any). */
  credentials?: readonly CredentialKind[];
  /** The route acts on the whole account, so a credential pinned to one organization may not call it. */
  accountWide?: boolean;
  /**
   * Another site's page posts here by design (a SAML IdP's auto-submitting form), so the gateway's
   * cookie CSRF check does not apply: the route authenticates the post itself.
   */
  crossSitePosts?: boolean;
  /** A tighter, per-endpoint rate limit class. */
  limit?: EndpointLimit;
  /** On a tenant route: the role permission the caller's membership must grant (checked by the service). */
  permission?: RolePermission;
  params?: TSchema;
  query?: TSchema;
  body?: TSchema;
  /** The request body's media type when it is not JSON (OAuth endpoints take form posts). */
  bodyContentType?: 'application/x-www-form-urlencoded';
  /**
   * The body travels as the exact bytes the client sent (a signed webhook delivery): the gateway does not
   * re-encode it and the service verifies it before parsing. Documented as `application/json`.
   */
  rawBody?: true;
  /**
   * On a tenant write route: allowed while the organization is read-only for an unpaid subscription
   * (paying, and removing things to get back within the plan, must keep working).
   */
  whileReadOnly?: 'allowed';
  /** Request headers the route reads (e.g. If-Match), as an object schema. */
  headers?: TSchema;
  response: RouteResponse;
  /** Other successful answers (a page that redirects instead when the browser is already signed in). */
  otherResponses?: readonly RouteResponse[];
  /** Error codes this route answers beyond the ones every route can (validation, auth, 404, 429, 503). */
  errors?: readonly ErrorCode[];
  /** Set when failures are not the error envelope (OAuth errors, HTML pages). */
  errorResponse?: RouteErrorResponse;
  /**
   * Answered by oidc-provider itself, not a fastify handler; the gateway proxies it by prefix,
   * not from its route table.
   */
  servedBy?: 'oidc-provider';
  /**
   * A fastify handler answers it, but the gateway reaches it through the authorization-server
   * prefix (the login and consent pages under /oauth2/interaction), not its route table.
   */
  routedBy?: 'authorization-server';
}

/** A contract with the name it is exported under, which is also its OpenAPI operationId. */
export type NamedRouteContract = RouteContract & { operationId: string };

/** Declares a service's routes; the keys are operation ids. `const` keeps each literal path and schema type. */
export function defineRoutes<const T extends Record<string, RouteContract>>(routes: T): T {
  return routes;
}

export function namedRoutes(routes: Record<string, RouteContract>): NamedRouteContract[] {
  return Object.entries(routes).map(([operationId, route]) => ({ operationId, ...route }));
}

/** A tenant route names its organization in the path: a pinned credential must match it, membership is checked. */
export function isTenantRoute(route: Pick<RouteContract, 'path'>): boolean {
  return route.path.includes('/:organizationId');
}

/** The gateway's view of a contract: what it enforces before the request reaches the service. */
export function policyOf(route: NamedRouteContract): RoutePolicy {
  const policy: RoutePolicy = {
    operationId: route.operationId,
    method: route.method,
    path: route.path,
    upstream: route.upstream,
    auth: route.auth,
  };
  if (route.scopes) policy.scopes = { anyOf: [...route.scopes] };
  if (isTenantRoute(route)) policy.tenant = true;
  if (route.limit) policy.limit = route.limit;
  if (route.credentials) policy.credentials = [...route.credentials];
  if (route.accountWide) policy.accountWide = true;
  if (route.crossSitePosts) policy.crossSitePosts = true;
  return policy;
}
