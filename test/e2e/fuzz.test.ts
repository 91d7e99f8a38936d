import { type RoutePolicy, SCIM_BASE_PATH, SCIM_SCHEMAS, TOKEN_SCOPES } from '@gatehouse/contracts';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_TABLE } from '../../gateway/src/policy/route-table.js';
import { ApiClient, type ApiResponse } from '../support/client.js';
import { createKey, keyClient, PASSWORD, uniqueEmail, verifiedUser } from '../support/flows.js';
import { bodyFor, knownFields, paramValue, queryFor } from '../support/fuzz-inputs.js';
import { registerApp } from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';
import { type FakeStripe, startFakeStripe } from '../support/stripe-server.js';

/**
 * Property: whatever a client sends to any route of the gateway — any body, any query, any path
 * parameter, with a session, a PAT, a directory's SCIM token or nothing — the answer is never a 5xx,
 * and it is our envelope (under /scim/v2: SCIM's own documents, docs/api.md "Exceptions").
 * CI runs a fixed seed; `pnpm test:fuzz` runs many more with a random seed (printed, to replay).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED =
  process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED ?? 20261201);

const GENEROUS = '1000000';
let stack: Stack;
let stripe: FakeStripe;

beforeAll(async () => {
  // Billing with Stripe configured: in local mode its Stripe routes answer 503 BILLING_NOT_CONFIGURED by design.
  stripe = await startFakeStripe();
  stack = await startStack(
    {
      RATE_LIMIT_IP_MAX: GENEROUS,
      RATE_LIMIT_CREDENTIAL_MAX: GENEROUS,
      RATE_LIMIT_SIGN_IN_MAX: GENEROUS,
      RATE_LIMIT_SIGN_UP_MAX: GENEROUS,
      RATE_LIMIT_EMAIL_MAX: GENEROUS,
      RATE_LIMIT_API_KEY_CREATE_MAX: GENEROUS,
    },
    {},
    { audit: true, billing: { stripe } },
  );
});
afterAll(async () => {
  await stack?.close();
  await stripe?.close();
});

/** A signed-in user with a PAT holding every scope, and one of each thing the routes name by id. */
async function freshFixtures() {
  const user = await verifiedUser(stack, 'Fuzz Target');
  const key = await createKey(user.client, { name: 'fuzz', scopes: [...TOKEN_SCOPES] });
  const orgPath = `/api/user/organizations/${user.organizationId}`;
  const project = await user.client.post(`${orgPath}/projects`, { name: 'Fuzzed' });
  const invite = await user.client.post(`${orgPath}/invites`, { email: uniqueEmail('invitee'), role: 'member' });
  const members = await user.client.get(`${orgPath}/members`);
  const sessions = await user.client.get('/api/user/sessions');
  const app = await registerApp(user.client, { name: 'Fuzz App' });
  const directory = await user.client.post(`${orgPath}/directories`, { name: 'Fuzz directory' });
  const webhook = await user.client.post(`${orgPath}/webhooks`, {
    url: 'https://hooks.example.com/fuzz',
    events: ['*'],
  });
  const delivery = await user.client.post(`${orgPath}/webhooks/${webhook.body.data?.webhook?.id}/test`);
  return {
    session: user.client,
    pat: keyClient(stack, key.key),
    scim: new ApiClient(stack.urls.gateway, { authorization: `Bearer ${directory.body.data?.token}` }),
    orgPath,
    ids: {
      organizationId: user.organizationId,
      projectId: project.body.data?.id,
      inviteId: invite.body.data?.id,
      memberId: members.body.data?.[0]?.id,
      sessionId: sessions.body.data?.[0]?.id,
      id: app.id,
      keyId: key.id,
      directoryId: directory.body.data?.directory?.id,
      webhookId: webhook.body.data?.webhook?.id,
      deliveryId: delivery.body.data?.id,
    } as Record<string, string | undefined>,
  };
}
type Fixtures = Awaited<ReturnType<typeof freshFixtures>>;

/** Whether a 2xx on this route may have ended the fixtures (signed out, deleted the account, the org…). */
const mayDestroy = (route: RoutePolicy) =>
  route.method !== 'GET' && route.path !== '/api/auth/sign-up/email' && route.path !== '/api/user/organizations';

async function stillUsable(fixtures: Fixtures): Promise<boolean> {
  const checks = await Promise.all([
    fixtures.session.get('/api/user/me'),
    fixtures.pat.get('/api/user/me'),
    fixtures.session.get(fixtures.orgPath),
  ]);
  return checks.every((res) => res.status === 200);
}

/** The only things the property asserts: no 5xx, and the body is the envelope that fits the status. */
function envelopeProblem(res: ApiResponse, path: string): string | null {
  const body = res.body;
  if (res.status >= 500) return `answered ${res.status}`;
  if (path.startsWith(SCIM_BASE_PATH)) return scimDocumentProblem(res);
  if (res.status >= 300 && res.status < 400) return res.headers.get('location') ? null : 'a redirect without Location';
  if (body === null || typeof body !== 'object') return 'no JSON object body';
  if (body.status !== res.status || typeof body.message !== 'string') return 'status/message missing from envelope';
  if (res.status < 300)
    return body.success === true && body.code === 'OK' && 'data' in body ? null : 'not a success envelope';
  const isError = body.success === false && typeof body.code === 'string' && typeof body.requestId === 'string';
  return isError ? null : 'not an error envelope with a code and request id';
}

/** /scim/v2 answers SCIM: a resource or list with `schemas`, 204 without a body, or an error document. */
function scimDocumentProblem(res: ApiResponse): string | null {
  if (res.status === 204) return null;
  const body = res.body;
  if (body === null || typeof body !== 'object' || !Array.isArray(body.schemas)) return 'not a SCIM document';
  if (res.status < 300) return null;
  const isError = body.schemas.includes(SCIM_SCHEMAS.error) && body.status === String(res.status);
  return isError ? null : 'not a SCIM error document with its status';
}

const clip = (value: unknown) => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length} chars)` : text;
};

describe('input the database cannot store, through the gateway', () => {
  let fixtures: Fixtures;
  beforeAll(async () => {
    fixtures = await freshFixtures();
  });

  const expectField = (res: ApiResponse, field: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    expect(res.body.meta.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  };

  it('a NUL character in a body, a query or a path is a 400 naming the field', async () => {
    expectField(await fixtures.session.post(`${fixtures.orgPath}/projects`, { name: 'a\u0000b' }), 'name');
    expectField(await fixtures.session.put('/api/user/me', { fullName: 'Nul\u0000Name' }), 'fullName');
    expectField(await fixtures.pat.get(`${fixtures.orgPath}/projects?q=%00`), 'q');
    expectField(await fixtures.pat.get(`${fixtures.orgPath}/projects/%00`), 'path');
  });

  it('offset=1e20 on every list is a 400 naming offset', async () => {
    const lists = ROUTE_TABLE.filter((route) => route.method === 'GET').map((route) =>
      route.path.replace(':organizationId', String(fixtures.ids.organizationId)),
    );
    const refused: string[] = [];
    for (const path of lists.filter((path) => !path.includes('/:'))) {
      const res = await fixtures.session.get(`${path}?offset=1e20`);
      expect(res.status, path).toBeLessThan(500);
      if (res.status === 400) {
        expect(res.body.meta.errors, path).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: 'offset' })]),
        );
        refused.push(path);
      }
    }
    expect(refused).toEqual(
      expect.arrayContaining([
        '/api/auth/api-key/list',
        '/api/user/organizations',
        `${fixtures.orgPath}/members`,
        `${fixtures.orgPath}/projects`,
      ]),
    );
  });

  it('a cursor holding a bad date or a bad shape is a 400 naming cursor', async () => {
    const cursor = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
    for (const bad of [
      cursor({ s: '-createdAt', v: 'not a date', id: 'x' }),
      cursor({ s: '-createdAt', v: '-271821-04-20T00:00:00.000Z', id: 'x' }),
      cursor({ s: '-createdAt', v: '2026-01-01T00:00:00.000Z', id: 'a\u0000' }),
      cursor({ s: '-createdAt', v: 1, id: 'x' }),
      cursor(null),
      'not-base64-json',
    ]) {
      expectField(await fixtures.session.get(`${fixtures.orgPath}/projects?sort=-createdAt&cursor=${bad}`), 'cursor');
    }
  });

  it('JSON nested 50,000 levels deep is a 400 naming body', async () => {
    const deep = `{"name":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    const res = await fixtures.session.request('POST', `${fixtures.orgPath}/projects`, {
      rawBody: deep,
      headers: { 'content-type': 'application/json' },
    });
    expectField(res, 'body');
  });

  it('bodies are not coerced: a string for a number, a number for a string, an array for an email', async () => {
    expectField(await fixtures.session.post('/api/auth/api-key/create', { name: 'k', expiresIn: '3600' }), 'expiresIn');
    expectField(await fixtures.session.post('/api/user/organizations', { name: 12345 }), 'name');
    const anonymous = new ApiClient(stack.urls.gateway);
    const signIn = await anonymous.post('/api/auth/sign-in/email', { email: ['a@b.test'], password: 'x'.repeat(12) });
    expectField(signIn, 'email');
  });
});

const ORG = '/api/user/organizations/:organizationId';
const KEY_ID = 'ak_01HZ3K5R4X9Y2V6QF8TJ7W0CDN';
/** A valid body per route, for the fuzzer to break one field at a time. */
const EXAMPLE_BODIES: Record<string, Record<string, unknown>> = {
  'POST /api/auth/sign-up/email': { email: 'fuzz@example.com', password: PASSWORD, name: 'Fuzz' },
  'POST /api/auth/sign-in/email': { email: 'fuzz@example.com', password: PASSWORD },
  'POST /api/auth/send-verification-email': { email: 'fuzz@example.com' },
  'POST /api/auth/request-password-reset': { email: 'fuzz@example.com' },
  'POST /api/auth/reset-password': { token: 'x'.repeat(43), newPassword: PASSWORD },
  'POST /api/auth/change-password': { currentPassword: PASSWORD, newPassword: `${PASSWORD}!` },
  'POST /api/auth/api-key/create': { name: 'fuzzed', scopes: ['user:read'], expiresIn: 3600 },
  'POST /api/auth/api-key/update': { keyId: KEY_ID, name: 'renamed', enabled: true },
  'POST /api/auth/api-key/delete': { keyId: KEY_ID },
  'PUT /api/user/me': { fullName: 'Fuzz Target', handle: 'fuzz' },
  'POST /api/user/oauth-apps': {
    name: 'App',
    type: 'public',
    redirectUris: ['http://127.0.0.1:9/callback'],
    allowedScopes: ['user:read'],
  },
  'PUT /api/user/oauth-apps/:id': { name: 'App 2' },
  'POST /api/user/organizations': { name: 'Org', slug: 'org' },
  [`PUT ${ORG}`]: { name: 'Org 2' },
  [`PUT ${ORG}/members/:memberId/role`]: { role: 'member' },
  [`POST ${ORG}/invites`]: { email: 'invitee@example.com', role: 'member' },
  [`POST ${ORG}/projects`]: { name: 'Project', description: 'd', status: 'active' },
  [`PUT ${ORG}/projects/:projectId`]: { name: 'Project 2', description: 'd' },
  [`POST ${ORG}/directories`]: {
    name: 'Directory',
    defaultRole: 'member',
    roleMapping: [{ group: 'Admins', role: 'admin' }],
  },
  [`PUT ${ORG}/directories/:directoryId`]: { name: 'Directory 2' },
  'POST /scim/v2/Users': {
    schemas: [SCIM_SCHEMAS.user],
    userName: 'fuzz@example.com',
    externalId: 'fuzz-1',
    active: true,
    name: { givenName: 'Fuzz', familyName: 'Target' },
    emails: [{ value: 'fuzz@example.com', type: 'work', primary: true }],
  },
  'PUT /scim/v2/Users/:id': { schemas: [SCIM_SCHEMAS.user], userName: 'fuzz@example.com', active: false },
  'PATCH /scim/v2/Users/:id': {
    schemas: [SCIM_SCHEMAS.patchOp],
    Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
  },
  'POST /scim/v2/Groups': { schemas: [SCIM_SCHEMAS.group], displayName: 'Fuzzers', members: [] },
  'PUT /scim/v2/Groups/:id': { schemas: [SCIM_SCHEMAS.group], displayName: 'Fuzzers 2' },
  'PATCH /scim/v2/Groups/:id': {
    schemas: [SCIM_SCHEMAS.patchOp],
    Operations: [{ op: 'remove', path: 'members[value eq "01HZ3K5R4X9Y2V6QF8TJ7W0CDN"]' }],
  },
};

/** One request: a route of the table, its path parameters, a credential, a query and maybe a body. */
function requestFor(route: RoutePolicy, fields: readonly string[]) {
  const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1] as string);
  return fc.record({
    route: fc.constant(route),
    // The invitation token is a secret mailed to someone else: only strangers are tried.
    params: fc.record(Object.fromEntries(names.map((name) => [name, paramValue(name !== 'token')]))),
    credential: fc.constantFrom('session', 'pat', 'scim', 'anonymous'),
    query: queryFor(fields),
    body: fc.option(bodyFor(fields, EXAMPLE_BODIES[`${route.method} ${route.path}`]), { nil: undefined, freq: 8 }),
  });
}

describe('property: no input makes any route answer 5xx or leave the envelope', () => {
  it(
    `holds for ${RUNS} requests (seed ${SEED})`,
    async () => {
      console.info(`fuzz: seed=${SEED} runs=${RUNS} (replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`);
      let fixtures = await freshFixtures();
      const statuses = new Map<number, number>();
      const fields = knownFields();
      const request = fc.constantFrom(...ROUTE_TABLE).chain((route) => requestFor(route, fields));

      await fc.assert(
        fc.asyncProperty(request, async ({ route, params, credential, query, body }) => {
          // null stands for the fixtures' current id (they may have been recreated since generation).
          const path = route.path.replace(
            /:([A-Za-z]+)/g,
            (_all, name: string) => params[name] ?? String(fixtures.ids[name]),
          );
          const client =
            credential === 'session'
              ? fixtures.session
              : credential === 'pat'
                ? fixtures.pat
                : credential === 'scim'
                  ? fixtures.scim
                  : new ApiClient(stack.urls.gateway);
          const withBody = route.method !== 'GET' && body !== undefined;
          const res = await client.request(route.method, `${path}${query}`, withBody ? { json: body } : {});
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const problem = envelopeProblem(res, path);
          if (problem) {
            throw new Error(
              `${route.method} ${path}${query} as ${credential}: ${problem}\n  sent: ${withBody ? clip(body) : '(no body)'}\n  got ${res.status}: ${clip(res.body)}`,
            );
          }
          if (res.status < 300 && mayDestroy(route) && !(await stillUsable(fixtures))) fixtures = await freshFixtures();
        }),
        { seed: SEED, numRuns: RUNS },
      );
      // How far requests got: were every answer a 4xx from the edge, the routes would never have been reached.
      console.info(
        `fuzz: answers by status ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
      );
    },
    Math.max(120_000, RUNS * 400),
  );
});
