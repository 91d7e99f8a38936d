import {
  type AuthenticatedPrincipal,
  defineRoutes,
  namedRoutes,
  notFound,
  OrganizationParams,
  type Role,
} from '@gatehouse/contracts';
import { Type } from 'typebox';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, type HttpApp, ok, routeServer } from '../src/index.js';

const MEMBER_OF = '01J00000000000000000000000';
const ALSO_MEMBER_OF = '01J00000000000000000000002';
const NOT_MEMBER_OF = '01J00000000000000000000001';

const CONTRACTS = defineRoutes({
  readThings: {
    method: 'GET',
    path: '/api/user/organizations/:organizationId/things',
    upstream: 'project',
    tag: 'Things',
    summary: 'Read things',
    auth: 'required',
    params: OrganizationParams,
    response: { status: 200, data: Type.Object({ role: Type.String() }) },
  },
  manageThings: {
    method: 'DELETE',
    path: '/api/user/organizations/:organizationId/things',
    upstream: 'project',
    tag: 'Things',
    summary: 'Manage things',
    auth: 'required',
    permission: 'organization:manage-members',
    params: OrganizationParams,
    response: { status: 200, data: Type.Null() },
  },
  accountWide: {
    method: 'GET',
    path: '/api/user/me-ish',
    upstream: 'project',
    tag: 'Things',
    summary: 'Not a tenant route',
    auth: 'required',
    response: { status: 200, data: Type.Null() },
  },
});

let app: HttpApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A service whose caller is `principal` and is a member (with `role`) of MEMBER_OF and ALSO_MEMBER_OF only. */
function serviceFor(principal: AuthenticatedPrincipal, role: Role = 'member'): { app: HttpApp; handled: string[] } {
  const handled: string[] = [];
  const created = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1024 });
  created.addHook('onRequest', async (request) => {
    request.principal = principal;
  });
  const routes = routeServer(created, {
    contracts: namedRoutes(CONTRACTS),
    tenantAccess: async (organizationId) => {
      if (organizationId !== MEMBER_OF && organizationId !== ALSO_MEMBER_OF) throw notFound('Organization not found');
      return role;
    },
  });
  routes.serve(CONTRACTS.readThings, async (request, reply) => {
    handled.push(`read ${request.tenant.organizationId}`);
    return ok(reply, 'ok', { role: request.tenant.role });
  });
  routes.serve(CONTRACTS.manageThings, async (request, reply) => {
    handled.push(`manage ${request.tenant.organizationId}`);
    return ok(reply, 'ok', null);
  });
  routes.serve(CONTRACTS.accountWide, async (_request, reply) => ok(reply, 'ok', null));
  app = created;
  return { app: created, handled };
}

const person = (fields: Partial<AuthenticatedPrincipal>): AuthenticatedPrincipal => ({
  kind: 'session',
  userId: 'u1',
  credentialId: 's1',
  scopes: [],
  role: 'user',
  ...fields,
});

const things = (organizationId: string) => `/api/user/organizations/${organizationId}/things`;

describe('loadTenant and the organization MFA policy', () => {
  it('answers 403 MFA_REQUIRED organization_policy to a member the policy blocks, naming how to meet it', async () => {
    for (const mfaEnrolled of [false, true, undefined]) {
      const { app, handled } = serviceFor(person({ mfaBlockedIn: [MEMBER_OF], mfaEnrolled }));
      const refused = await app.inject({ method: 'GET', url: things(MEMBER_OF) });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({
        success: false,
        code: 'MFA_REQUIRED',
        meta: {
          reason: 'organization_policy',
          organizationId: MEMBER_OF,
          enrolled: mfaEnrolled === true,
          enrollUrl: '/account/security',
        },
      });
      expect(refused.json().message).toMatch(mfaEnrolled ? /sign in again/ : /set it up/);
      expect(handled).toEqual([]);
      await app.close();
    }
  });

  it('keeps a non-member’s 404 even when the principal lists that organization as blocked', async () => {
    const { app, handled } = serviceFor(person({ mfaBlockedIn: [NOT_MEMBER_OF, MEMBER_OF] }));
    const outsider = await app.inject({ method: 'GET', url: things(NOT_MEMBER_OF) });
    expect(outsider.statusCode).toBe(404);
    expect(outsider.json().code).toBe('NOT_FOUND');
    const outsiderManaging = await app.inject({ method: 'DELETE', url: things(NOT_MEMBER_OF) });
    expect(outsiderManaging.statusCode).toBe(404);
    expect(handled).toEqual([]);
  });

  it('refuses for the policy before the permission: a blocked member without the permission learns about MFA', async () => {
    const { app } = serviceFor(person({ mfaBlockedIn: [MEMBER_OF], mfaEnrolled: false }), 'member');
    const refused = await app.inject({ method: 'DELETE', url: things(MEMBER_OF) });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('MFA_REQUIRED');
  });

  it('refuses even an owner (every role) the policy blocks', async () => {
    for (const role of ['owner', 'admin', 'member'] as const) {
      const { app, handled } = serviceFor(person({ mfaBlockedIn: [MEMBER_OF] }), role);
      const refused = await app.inject({ method: 'GET', url: things(MEMBER_OF) });
      expect(refused.json().code).toBe('MFA_REQUIRED');
      expect(handled).toEqual([]);
      await app.close();
    }
  });

  it('blocks only the organizations listed: other memberships, and routes naming no organization, stay open', async () => {
    const { app, handled } = serviceFor(person({ mfaBlockedIn: [MEMBER_OF], mfaEnrolled: false }), 'owner');
    const other = await app.inject({ method: 'GET', url: things(ALSO_MEMBER_OF) });
    expect(other.statusCode).toBe(200);
    const managing = await app.inject({ method: 'DELETE', url: things(ALSO_MEMBER_OF) });
    expect(managing.statusCode).toBe(200);
    const accountWide = await app.inject({ method: 'GET', url: '/api/user/me-ish' });
    expect(accountWide.statusCode).toBe(200);
    expect(handled).toEqual([`read ${ALSO_MEMBER_OF}`, `manage ${ALSO_MEMBER_OF}`]);
  });

  it('lets a principal without the field (an older gateway) or with an empty list through, and still checks permissions', async () => {
    for (const mfaBlockedIn of [undefined, []]) {
      const { app } = serviceFor(person({ mfaBlockedIn, kind: 'api_key', credentialId: 'ak_1' }), 'member');
      expect((await app.inject({ method: 'GET', url: things(MEMBER_OF) })).statusCode).toBe(200);
      const denied = await app.inject({ method: 'DELETE', url: things(MEMBER_OF) });
      expect(denied.json().code).toBe('INSUFFICIENT_PERMISSIONS');
      await app.close();
    }
  });
});
