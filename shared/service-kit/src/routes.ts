import {
  AppError,
  type AuthenticatedPrincipal,
  isTenantRoute,
  type NamedRouteContract,
  type Role,
  type RouteContract,
  roleHasPermission,
} from '@gatehouse/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static, TSchema } from 'typebox';
import { subscriptionInactive } from './entitlements-read-model.js';
import { requestEventContext, withEventContext } from './event-context.js';
import type { HttpApp } from './http.js';
import { requireUser } from './principal.js';

/** The caller's membership in the organization a tenant route names, loaded once per request. */
export interface TenantAccess {
  organizationId: string;
  principal: AuthenticatedPrincipal;
  role: Role;
}

/**
 * How a service learns the caller's role in an organization (its own tables, or its read model of
 * them). Non-members get 404 exactly as for an organization that does not exist.
 */
export type TenantAccessLoader = (organizationId: string, principal: AuthenticatedPrincipal) => Promise<Role>;

type Input<S> = S extends TSchema ? Static<S> : undefined;
type IsTenant<C extends RouteContract> = C['path'] extends `${string}/:organizationId${string}` ? true : false;

/** The request a contract's handler receives: params, query and body typed by the contract's schemas. */
export type ContractRequest<C extends RouteContract> = FastifyRequest<{
  Params: Input<C['params']>;
  Querystring: Input<C['query']>;
  Body: Input<C['body']>;
}> &
  (IsTenant<C> extends true ? { tenant: TenantAccess } : unknown);

export type ContractHandler<C extends RouteContract> = (
  request: ContractRequest<C>,
  reply: FastifyReply,
) => Promise<unknown>;

/** Registers handlers against contracts; a route without a contract cannot be registered. */
export interface RouteServer {
  serve<C extends RouteContract>(contract: C, handler: ContractHandler<C>, options?: ServeOptions): void;
  /** The same server registering into a child scope of the app (one with its own body parsers, say). */
  within(scope: HttpApp): RouteServer;
}

export interface ServeOptions {
  /**
   * Hand a validation failure to the handler (`request.validationError`) instead of answering 400:
   * a form page shows itself again with a message.
   */
  attachValidation?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The contract a route was registered against (set by RouteServer.serve). */
    contract?: RouteContract;
  }
}

export interface RouteServerOptions {
  /** This service's contracts: each must get a handler before the app is ready, and only these may. */
  contracts: readonly NamedRouteContract[];
  /** Required when the service answers tenant routes. */
  tenantAccess?: TenantAccessLoader;
}

/**
 * Installs the contract discipline on a service app: from here on, a route registered without a
 * contract throws at registration, and `ready()` throws when a contract of this service has no
 * handler. Tenant routes get the caller's membership (and the contract's permission checked) in a
 * preHandler, so services receive `request.tenant` instead of each asking again.
 */
export function routeServer(app: HttpApp, options: RouteServerOptions): RouteServer {
  // oidc-provider answers its own endpoints: no fastify handler is expected for them, nor allowed.
  const handled = options.contracts.filter((contract) => contract.servedBy !== 'oidc-provider');
  const declared = new Map(handled.map((contract) => [routeKey(contract), contract]));
  const served = new Set<string>();

  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD' || route.method === 'OPTIONS') return;
    const contract = route.config?.contract;
    const key = `${route.method} ${route.url}`;
    if (!contract || routeKey(contract) !== key || !declared.has(key)) {
      throw new Error(`${key} has no route contract in @gatehouse/contracts: declare it there first`);
    }
  });
  app.addHook('onReady', async () => {
    const missing = [...declared.keys()].filter((key) => !served.has(key));
    if (missing.length > 0) throw new Error(`route contracts without a handler: ${missing.join(', ')}`);
  });

  const serverOn = (scope: HttpApp): RouteServer => ({
    serve(contract, handler, serveOptions = {}) {
      const key = routeKey(contract);
      if (!declared.has(key)) throw new Error(`${key} is not one of this service's route contracts`);
      if (served.has(key)) throw new Error(`${key} is served twice`);
      served.add(key);
      const tenant = isTenantRoute(contract);
      if (tenant && !options.tenantAccess) throw new Error(`${key} is a tenant route: pass tenantAccess`);
      // A permission is a role in the organization the path names: without one it could not be checked.
      if (contract.permission && !tenant) throw new Error(`${key} declares a permission but names no organization`);
      scope.route({
        method: contract.method,
        url: contract.path,
        config: { contract },
        schema: {
          ...(contract.params && { params: contract.params }),
          ...(contract.query && { querystring: contract.query }),
          ...(contract.body && { body: contract.body }),
          ...(contract.headers && { headers: contract.headers }),
        },
        ...(serveOptions.attachValidation && { attachValidation: true }),
        ...(tenant && { preHandler: loadTenant(contract, options.tenantAccess!) }),
        // Events the handler records carry who asked and from where (the audit log's actor, ip, requestId).
        handler: (request: FastifyRequest, reply: FastifyReply) =>
          withEventContext(requestEventContext(request), () => (handler as UntypedHandler)(request, reply)),
      });
    },
    within: serverOn,
  });
  return serverOn(app);
}

type UntypedHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const routeKey = (contract: Pick<RouteContract, 'method' | 'path'>) => `${contract.method} ${contract.path}`;

function loadTenant(contract: RouteContract, load: TenantAccessLoader) {
  return async (request: FastifyRequest) => {
    const principal = requireUser(request);
    const { organizationId } = request.params as { organizationId: string };
    const role = await load(organizationId, principal);
    // After the membership (a non-member must not learn the organization exists), before the
    // permission: a member who does not meet the policy is told how to, whatever their role.
    refuseUnmetMfaPolicy(principal, organizationId);
    if (isReadOnlyGuarded(contract)) refuseWriteWhileReadOnly(principal, organizationId);
    if (contract.permission && !roleHasPermission(role, contract.permission)) {
      throw new AppError('INSUFFICIENT_PERMISSIONS', `Your role (${role}) cannot do this`, {
        requiredPermission: contract.permission,
      });
    }
    (request as FastifyRequest & { tenant: TenantAccess }).tenant = { organizationId, principal, role };
  };
}

/**
 * What a read-only organization refuses: writes, but not reads, not removals (they bring usage back within the
 * plan) and not the routes marked to stay open (paying, security settings).
 */
export function isReadOnlyGuarded(contract: Pick<RouteContract, 'method' | 'whileReadOnly'>): boolean {
  return contract.method !== 'GET' && contract.method !== 'DELETE' && contract.whileReadOnly !== 'allowed';
}

/**
 * The organization's subscription is unpaid past its grace period (identity computed `readOnlyIn` when it
 * resolved the credential): writes are refused until it is paid.
 */
export function refuseWriteWhileReadOnly(principal: AuthenticatedPrincipal, organizationId: string): void {
  const readOnly = principal.readOnlyIn?.find((entry) => entry.organizationId === organizationId);
  if (readOnly) throw subscriptionInactive(organizationId, readOnly.since, readOnly.upgradeUrl);
}

/**
 * The organization requires a second factor and this credential does not meet it (identity computed
 * `mfaBlockedIn` when it resolved the credential): 403 MFA_REQUIRED saying whether to enrol or to sign in again.
 */
export function refuseUnmetMfaPolicy(principal: AuthenticatedPrincipal, organizationId: string): void {
  if (!principal.mfaBlockedIn?.includes(organizationId)) return;
  const enrolled = principal.mfaEnrolled === true;
  throw new AppError(
    'MFA_REQUIRED',
    enrolled
      ? 'This organization requires a second factor: sign in again with it'
      : 'This organization requires two-step verification: set it up first',
    { reason: 'organization_policy', organizationId, enrolled, enrollUrl: '/account/security' },
  );
}
