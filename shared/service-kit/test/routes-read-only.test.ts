import {
  type AuthenticatedPrincipal,
  defineRoutes,
  namedRoutes,
  notFound,
  OrganizationParams,
  type ReadOnlyOrganization,
} from '@gatehouse/contracts';
import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, type HttpApp, ok, routeServer } from '../src/index.js';

const READ_ONLY = '01J00000000000000000000000';
const PAID = '01J00000000000000000000002';
const NOT_MEMBER_OF = '01J00000000000000000000001';
const SINCE = '2026-11-30T12:00:00.000Z';

const thing = <M extends 'GET' | 'POST' | 'PUT' | 'DELETE'>(method: M, summary: string) => ({
  method,
  path: '/api/user/organizations/:organizationId/things',
  upstream: 'project' as const,
  tag: 'Things',
  summary,
  auth: 'required' as const,
  params: OrganizationParams,
  response: { status: 200 as const, data: Type.Null() },
});

const CONTRACTS = defineRoutes({
  readThings: thing('GET', 'Read things'),
  createThing: thing('POST', 'Create a thing'),
  replaceThings: thing('PUT', 'Replace things'),
  removeThings: thing('DELETE', 'Remove things'),
  payForThings: {
    ...thing('POST', 'Pay for things'),
    path: '/api/user/organizations/:organizationId/pay',
    whileReadOnly: 'allowed' as const,
  },
});

let app: HttpApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A service whose caller is `principal`, an owner of READ_ONLY and PAID only. */
function serviceFor(principal: AuthenticatedPrincipal): { app: HttpApp; handled: string[] } {
  const handled: string[] = [];
  const created = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1024 });
  created.addHook('onRequest', async (request) => {
    request.principal = principal;
  });
  const routes = routeServer(created, {
    contracts: namedRoutes(CONTRACTS),
    tenantAccess: async (organizationId) => {
      if (organizationId !== READ_ONLY && organizationId !== PAID) throw notFound('Organization not found');
      return 'owner';
    },
  });
  for (const contract of Object.values(CONTRACTS)) {
    routes.serve(contract, async (request, reply) => {
      handled.push(`${contract.method} ${request.params.organizationId}`);
      return ok(reply, 'ok', null);
    });
  }
  app = created;
  return { app: created, handled };
}

const readOnlyIn: ReadOnlyOrganization[] = [
  { organizationId: READ_ONLY, since: SINCE, upgradeUrl: `http://localhost:8080/orgs/${READ_ONLY}/billing` },
];

const person = (fields: Partial<AuthenticatedPrincipal> = {}): AuthenticatedPrincipal => ({
  kind: 'session',
  userId: 'u1',
  credentialId: 's1',
  scopes: [],
  role: 'user',
  readOnlyIn,
  ...fields,
});

const things = (organizationId: string) => `/api/user/organizations/${organizationId}/things`;

describe('loadTenant and a read-only organization', () => {
  it('refuses a write with 403 SUBSCRIPTION_INACTIVE naming since when and where to pay', async () => {
    const { app, handled } = serviceFor(person());
    for (const method of ['POST', 'PUT'] as const) {
      const refused = await app.inject({ method, url: things(READ_ONLY) });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({
        success: false,
        code: 'SUBSCRIPTION_INACTIVE',
        meta: { organizationId: READ_ONLY, readOnlySince: SINCE, upgradeUrl: readOnlyIn[0]?.upgradeUrl },
      });
    }
    expect(handled).toEqual([]);
  });

  it('lets reads, removals and routes marked whileReadOnly allowed through', async () => {
    const { app, handled } = serviceFor(person());
    expect((await app.inject({ method: 'GET', url: things(READ_ONLY) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: things(READ_ONLY) })).statusCode).toBe(200);
    const paying = await app.inject({ method: 'POST', url: `/api/user/organizations/${READ_ONLY}/pay` });
    expect(paying.statusCode).toBe(200);
    expect(handled).toEqual([`GET ${READ_ONLY}`, `DELETE ${READ_ONLY}`, `POST ${READ_ONLY}`]);
  });

  it('restricts only the organizations listed, and keeps a non-member’s 404', async () => {
    const { app, handled } = serviceFor(
      person({ readOnlyIn: [...readOnlyIn, { ...readOnlyIn[0]!, organizationId: NOT_MEMBER_OF }] }),
    );
    expect((await app.inject({ method: 'POST', url: things(PAID) })).statusCode).toBe(200);
    const outsider = await app.inject({ method: 'POST', url: things(NOT_MEMBER_OF) });
    expect(outsider.statusCode).toBe(404);
    expect(handled).toEqual([`POST ${PAID}`]);
  });

  it('lets a principal without the field (an older gateway) or with an empty list write', async () => {
    for (const list of [undefined, []]) {
      const { app } = serviceFor(person({ readOnlyIn: list }));
      expect((await app.inject({ method: 'POST', url: things(READ_ONLY) })).statusCode).toBe(200);
      await app.close();
    }
  });
});
