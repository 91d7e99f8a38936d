import {
  type AuthenticatedPrincipal,
  defineRoutes,
  namedRoutes,
  notFound,
  OrganizationParams,
} from '@gatehouse/contracts';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, type HttpApp, ok, routeServer } from '../src/index.js';

const ORG = '01J00000000000000000000000';
const OTHER = '01J00000000000000000000001';

const CONTRACTS = defineRoutes({
  listThings: {
    method: 'GET',
    path: '/api/user/organizations/:organizationId/things',
    upstream: 'project',
    tag: 'Things',
    summary: 'List things',
    auth: 'required',
    params: OrganizationParams,
    response: { status: 200, data: Type.Object({ role: Type.String() }) },
  },
  deleteThings: {
    method: 'DELETE',
    path: '/api/user/organizations/:organizationId/things',
    upstream: 'project',
    tag: 'Things',
    summary: 'Delete things',
    auth: 'required',
    permission: 'organization:manage-members',
    params: OrganizationParams,
    response: { status: 200, data: Type.Null() },
  },
  providerAnswers: {
    method: 'GET',
    path: '/oauth2/jwks',
    upstream: 'identity',
    tag: 'Things',
    summary: 'Answered by oidc-provider itself',
    auth: 'none',
    servedBy: 'oidc-provider',
    response: { status: 200 },
  },
  echo: {
    method: 'POST',
    path: '/api/echo',
    upstream: 'project',
    tag: 'Things',
    summary: 'Echo',
    auth: 'none',
    body: Type.Object({ n: Type.Integer() }, { additionalProperties: false }),
    response: { status: 200, data: Type.Integer() },
  },
});

const principal: AuthenticatedPrincipal = {
  kind: 'session',
  userId: 'u1',
  credentialId: 's1',
  scopes: [],
  role: 'user',
};

/** An app with a principal on every request: the gateway's signed principal is the seam under test elsewhere. */
function appWith(): { app: HttpApp; loads: string[] } {
  const app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1024 });
  app.addHook('onRequest', async (request) => {
    request.principal = principal;
  });
  const loads: string[] = [];
  const routes = routeServer(app, {
    contracts: namedRoutes(CONTRACTS),
    tenantAccess: async (organizationId) => {
      loads.push(organizationId);
      if (organizationId !== ORG) throw notFound('Organization not found');
      return 'member';
    },
  });
  routes.serve(CONTRACTS.listThings, async (request, reply) => ok(reply, 'ok', { role: request.tenant.role }));
  routes.serve(CONTRACTS.deleteThings, async (_request, reply) => ok(reply, 'ok', null));
  routes.serve(CONTRACTS.echo, async (request, reply) => ok(reply, 'ok', request.body.n));
  return { app, loads };
}

describe('routeServer', () => {
  it('loads the caller’s membership once per tenant request and hands it to the handler', async () => {
    const { app, loads } = appWith();
    const answer = await app.inject({ method: 'GET', url: `/api/user/organizations/${ORG}/things` });
    expect(answer.statusCode).toBe(200);
    expect(answer.json().data).toEqual({ role: 'member' });
    expect(loads).toEqual([ORG]);
    await app.close();
  });

  it('answers a non-member 404 and checks the contract’s permission before the handler', async () => {
    const { app } = appWith();
    const outsider = await app.inject({ method: 'GET', url: `/api/user/organizations/${OTHER}/things` });
    expect(outsider.statusCode).toBe(404);
    const denied = await app.inject({ method: 'DELETE', url: `/api/user/organizations/${ORG}/things` });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({
      code: 'INSUFFICIENT_PERMISSIONS',
      meta: { requiredPermission: 'organization:manage-members' },
    });
    await app.close();
  });

  it('validates with the contract’s schemas, naming the field', async () => {
    const { app } = appWith();
    const bad = await app.inject({ method: 'POST', url: '/api/echo', payload: { n: '1' } });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json().meta)).toContain('n');
    const badParam = await app.inject({ method: 'GET', url: '/api/user/organizations/nope/things' });
    expect(badParam.statusCode).toBe(400);
    await app.close();
  });

  it('refuses a route registered without a contract, or against another service’s path', async () => {
    const { app } = appWith();
    expect(() => app.get('/api/undeclared', async () => 'x')).toThrow(/no route contract/);
    expect(() =>
      app.route({
        method: 'GET',
        url: '/api/other',
        config: { contract: CONTRACTS.echo },
        handler: async () => 'x',
      }),
    ).toThrow(/no route contract/);
    await app.close();
  });

  it('refuses to become ready while a contract has no handler, and a contract served twice', async () => {
    const app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1024 });
    const routes = routeServer(app, { contracts: namedRoutes(CONTRACTS), tenantAccess: async () => 'owner' });
    routes.serve(CONTRACTS.echo, async (request, reply) => ok(reply, 'ok', request.body.n));
    expect(() => routes.serve(CONTRACTS.echo, async (_request, reply) => ok(reply, 'ok', 1))).toThrow(/twice/);
    await expect(app.ready()).rejects.toThrow(/listThings|things/);
  });
});

describe('routeServer with oidc-provider endpoints and child scopes', () => {
  it('expects no handler for a contract oidc-provider answers, and refuses one', async () => {
    const app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1024 });
    const routes = routeServer(app, { contracts: namedRoutes(CONTRACTS), tenantAccess: async () => 'owner' });
    expect(() => routes.serve(CONTRACTS.providerAnswers, async (_request, reply) => ok(reply, 'ok', null))).toThrow(
      /not one of this service/,
    );
    routes.serve(CONTRACTS.listThings, async (_request, reply) => ok(reply, 'ok', null));
    routes.serve(CONTRACTS.deleteThings, async (_request, reply) => ok(reply, 'ok', null));
    routes.serve(CONTRACTS.echo, async (_request, reply) => ok(reply, 'ok', 1));
    await app.ready();
    await app.close();
  });

  it('keeps the discipline inside a child scope (within), where undeclared routes still throw', async () => {
    const app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1024 });
    const routes = routeServer(app, { contracts: namedRoutes(CONTRACTS), tenantAccess: async () => 'owner' });
    routes.serve(CONTRACTS.listThings, async (_request, reply) => ok(reply, 'ok', null));
    routes.serve(CONTRACTS.deleteThings, async (_request, reply) => ok(reply, 'ok', null));
    let undeclared: unknown;
    await app.register(async (scope) => {
      routes
        .within(scope as unknown as HttpApp)
        .serve(CONTRACTS.echo, async (request, reply) => ok(reply, 'ok', request.body.n));
      try {
        scope.get('/api/sneaky', async () => 'x');
      } catch (error) {
        undeclared = error;
      }
    });
    await app.ready();
    expect(String(undeclared)).toMatch(/no route contract/);
    const answer = await app.inject({ method: 'POST', url: '/api/echo', payload: { n: 3 } });
    expect(answer.json().data).toBe(3);
    await app.close();
  });
});
