import { createPublicKey } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type DirectoryPrincipal,
  EVENT_SUBJECTS,
  type EventEnvelope,
  PRINCIPAL_HEADER,
  type ResolveCredentialReply,
  type ResolveCredentialRequest,
  RPC_SUBJECTS,
  SCIM_MEDIA_TYPE,
  SCIM_SCHEMAS,
} from '@gatehouse/contracts';
import { createPrincipalVerifier, type HttpApp } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { connect, type NatsConnection, StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnswer } from '../../test/support/contract-check.js';
import { buildGateway } from '../src/app.js';
import type { GatewayConfig } from '../src/config.js';
import { createGatewayDeps, type GatewayDeps } from '../src/deps.js';
import { standaloneGatewayConfig } from './standalone.js';

/**
 * /scim/v2 at a real gateway (real Redis and NATS): identity's credential look-up is a scripted
 * responder on NATS, identity's HTTP side a stand-in on loopback that records what it was sent.
 * Every answer is also checked against the OpenAPI document (test/support/contract-check.ts).
 */
const codec = StringCodec();
const ERROR_URN = SCIM_SCHEMAS.error;

const directory = (credentialId: string, directoryId = 'dir_1'): ResolveCredentialReply => ({
  ok: true,
  principal: { kind: 'scim', credentialId, directoryId, organizationId: 'org_1', ttlSeconds: 30 },
});
/** What identity says of each secret; anything else is refused. */
const credentials = new Map<string, ResolveCredentialReply>([
  ['gh_scim_good', directory('dt_good')],
  ['gh_scim_busy', directory('dt_busy')],
  ['gh_scim_down', directory('dt_down')],
  [
    'ba_person_key',
    {
      ok: true,
      principal: {
        kind: 'api_key',
        userId: 'us_1',
        credentialId: 'ak_1',
        scopes: ['user:read', 'organizations:read'],
        organizationId: null,
        role: 'user',
        ttlSeconds: 30,
      },
    },
  ],
  [
    'person_session',
    {
      ok: true,
      principal: {
        kind: 'session',
        userId: 'us_1',
        credentialId: 'se_1',
        scopes: [],
        organizationId: null,
        role: 'user',
        ttlSeconds: 30,
      },
    },
  ],
]);
const asked = new Map<string, number>();

/** What the stand-in identity received last. */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
let received: Received | undefined;
const HUGE = 'x'.repeat(70_000);

/** identity's HTTP side for /scim/v2, answering by path what the tests need. */
function standInIdentity(): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      const scim = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': `${SCIM_MEDIA_TYPE}; charset=utf-8` });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '').split('?')[0];
      switch (`${req.method} ${path}`) {
        case 'GET /scim/v2/Users':
          return scim(200, {
            schemas: [SCIM_SCHEMAS.listResponse],
            totalResults: 0,
            startIndex: 1,
            itemsPerPage: 0,
            Resources: [],
          });
        case 'POST /scim/v2/Users':
          return scim(201, {
            ...JSON.parse(received.body),
            schemas: [SCIM_SCHEMAS.user],
            id: 'su_1',
            active: true,
            meta: { resourceType: 'User', location: 'http://localhost:8080/scim/v2/Users/su_1' },
          });
        case 'GET /scim/v2/Users/scim-404':
          return scim(404, { schemas: [ERROR_URN], status: '404', detail: 'No such user in this directory' });
        case 'GET /scim/v2/Users/scim-409':
          return scim(409, {
            schemas: [ERROR_URN],
            status: '409',
            scimType: 'uniqueness',
            detail: 'userName is taken',
          });
        case 'GET /scim/v2/Users/crash':
          res.writeHead(500, { 'content-type': 'text/html' });
          return res.end('<html><body>TypeError: cannot read properties of undefined at /srv/app.js:12</body></html>');
        case 'GET /scim/v2/Users/envelope':
          res.writeHead(403, { 'content-type': 'application/json' });
          return res.end(
            JSON.stringify({
              success: false,
              status: 403,
              code: 'FORBIDDEN',
              message: 'Not this directory',
              requestId: 'r',
            }),
          );
        case 'GET /scim/v2/Users/wrong-status':
          // A SCIM document whose status disagrees with the answer's: not passed as it is.
          return scim(409, { schemas: [ERROR_URN], status: '400', detail: 'confused' });
        case 'GET /scim/v2/Users/huge':
          return scim(400, { schemas: [ERROR_URN], status: '400', detail: HUGE });
        case 'GET /scim/v2/Users/shutting-down':
          res.writeHead(503, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'closing' }));
        case 'DELETE /scim/v2/Users/su_1':
          res.writeHead(204);
          return res.end();
        case 'GET /scim/v2/Users/slow':
          return; // never answers: the gateway's upstream timeout speaks
        default:
          if (req.method === 'PATCH' && path?.startsWith('/scim/v2/Groups/')) {
            res.writeHead(204);
            return res.end();
          }
          return scim(404, { schemas: [ERROR_URN], status: '404', detail: 'unexpected in this test' });
      }
    });
  });
}

let nc: NatsConnection;
let upstream: Server;
let gateway: { app: HttpApp; deps: GatewayDeps; config: GatewayConfig };
/** The same NATS namespace with nothing listening upstream and tight limits. */
let downstairs: { app: HttpApp; deps: GatewayDeps };
let verifyPrincipal: (token: string) => Promise<{ principal: unknown }>;

async function startGateway(overrides: Record<string, string>) {
  const config = await standaloneGatewayConfig(overrides);
  const deps = await createGatewayDeps(config);
  const app = await buildGateway(deps);
  await app.ready();
  return { app, deps, config };
}

beforeAll(async () => {
  upstream = standInIdentity();
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const identityUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  gateway = await startGateway({
    IDENTITY_URL: identityUrl,
    UPSTREAM_TIMEOUT_MS: '700',
    // The failures this suite provokes on purpose must not open identity's breaker for the others.
    UPSTREAM_BREAKER_MIN_CALLS: '100000',
  });
  const prefix = gateway.config.NATS_SUBJECT_PREFIX;
  downstairs = await startGateway({
    NATS_SUBJECT_PREFIX: prefix,
    IDENTITY_URL: 'http://127.0.0.1:9',
    RATE_LIMIT_IP_MAX: '2',
    RATE_LIMIT_SCIM_IP_MAX: '4',
    RATE_LIMIT_CREDENTIAL_MAX: '3',
    UPSTREAM_BREAKER_MIN_CALLS: '3',
  });
  const publicKey = createPublicKey(gateway.config.PRINCIPAL_PRIVATE_KEY).export({ type: 'spki', format: 'pem' });
  const verifier = await createPrincipalVerifier(String(publicKey));
  verifyPrincipal = (token) => verifier.verify(token);

  nc = await connect({ servers: gateway.config.NATS_URL });
  nc.subscribe(`${prefix}${RPC_SUBJECTS.resolveCredential}`, {
    callback: (_error, message) => {
      const { secret } = JSON.parse(codec.decode(message.data)) as ResolveCredentialRequest & { secret: string };
      asked.set(secret, (asked.get(secret) ?? 0) + 1);
      const reply = credentials.get(secret) ?? { ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' };
      message.respond(codec.encode(JSON.stringify(reply)));
    },
  });
  await nc.flush();
});
afterAll(async () => {
  for (const started of [gateway, downstairs]) {
    await started?.app.close();
    await started?.deps.close();
  }
  await nc?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

type Injected = Awaited<ReturnType<HttpApp['inject']>>;
interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  token?: string;
  headers?: Record<string, string>;
  payload?: string;
  ip?: string;
}

/** One request through a gateway, its answer checked against the OpenAPI document. */
async function call(app: HttpApp, { method = 'GET', url, token, headers = {}, payload, ip }: Call): Promise<Injected> {
  const answer = await app.inject({
    method,
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    ...(payload !== undefined ? { payload } : {}),
    ...(ip ? { remoteAddress: ip } : {}),
  });
  checkAnswer({
    method,
    url: new URL(url, 'http://localhost:8080'),
    status: answer.statusCode,
    contentType: String(answer.headers['content-type'] ?? '') || null,
    text: answer.body,
  });
  return answer;
}
const scim = (request: Call) => call(gateway.app, request);

/** A SCIM error document of this status, sent as application/scim+json. */
function expectScimError(answer: Injected, status: number, detail?: RegExp | string) {
  expect(answer.statusCode).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/scim\+json/);
  const body = answer.json();
  expect(body).toMatchObject({ schemas: [ERROR_URN], status: String(status) });
  expect(body).not.toHaveProperty('success');
  if (detail) expect(body.detail).toMatch(detail);
  return body as { detail: string; scimType?: string };
}

describe('a SCIM token', () => {
  it('reaches identity as the directory principal, signed, without the token itself', async () => {
    const answer = await scim({
      url: '/scim/v2/Users?filter=userName%20eq%20%22ada%40example.com%22',
      token: 'gh_scim_good',
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(answer.json()).toMatchObject({ schemas: [SCIM_SCHEMAS.listResponse], totalResults: 0 });
    expect(received?.url).toBe('/scim/v2/Users?filter=userName%20eq%20%22ada%40example.com%22');
    expect(received?.headers.authorization).toBeUndefined();
    const claims = await verifyPrincipal(String(received?.headers[PRINCIPAL_HEADER]));
    expect(claims.principal).toEqual({
      kind: 'scim',
      credentialId: 'dt_good',
      directoryId: 'dir_1',
      organizationId: 'org_1',
    } satisfies DirectoryPrincipal);
    expect(answer.headers['ratelimit-limit']).toBeDefined();
  });

  it('is refused on an /api route with the envelope (403), as any route that does not name it', async () => {
    const answer = await call(gateway.app, { url: '/api/user/me', token: 'gh_scim_good' });
    expect(answer.statusCode).toBe(403);
    expect(answer.json()).toMatchObject({ success: false, status: 403, code: 'FORBIDDEN' });
    expect(answer.json().message).toMatch(/SCIM token/);
  });

  it('works without a User-Agent (Okta and Entra ID send none on some calls)', async () => {
    await gateway.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = gateway.app.server.address() as AddressInfo;
    const { status, headers } = await new Promise<{ status: number; headers: IncomingHttpHeaders }>(
      (resolve, reject) => {
        const sent = httpRequest(
          { host: '127.0.0.1', port, path: '/scim/v2/Users', headers: { authorization: 'Bearer gh_scim_good' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          },
        );
        sent.on('error', reject);
        sent.end();
      },
    );
    expect(status).toBe(200);
    expect(headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(received?.headers['user-agent']).toBeUndefined();
  });
});

describe('what the gateway itself answers under /scim/v2 is a SCIM error', () => {
  it('401 without a token, with WWW-Authenticate: Bearer', async () => {
    const answer = await scim({ url: '/scim/v2/Users' });
    expectScimError(answer, 401, /SCIM token/);
    expect(answer.headers['www-authenticate']).toBe('Bearer');
    // Encoded, the path is still SCIM's (the router decodes it), never the console's.
    expectScimError(await scim({ url: '/%73cim/v2/Users' }), 401);
  });

  it('401 for a token identity does not know, and an empty or non-Bearer Authorization', async () => {
    const bad = await scim({ url: '/scim/v2/Users', token: 'gh_scim_nobody' });
    expectScimError(bad, 401, 'The SCIM token is invalid, expired or revoked');
    expect(bad.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    for (const authorization of ['Bearer ', 'Basic Zm9vOmJhcg==']) {
      const answer = await scim({ url: '/scim/v2/Users', headers: { authorization } });
      expectScimError(answer, 401);
      expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('403 for a person’s credential: an API key or a session', async () => {
    const key = await scim({ url: '/scim/v2/Users', headers: { 'x-api-key': 'ba_person_key' } });
    expect(expectScimError(key, 403).detail).toMatch(/API key/);
    const session = await scim({ url: '/scim/v2/Users', headers: { cookie: 'gatehouse_session=person_session' } });
    expect(expectScimError(session, 403).detail).toMatch(/session/);
  });

  it('404 for a SCIM route that does not exist, a method a route does not take, and the bare prefix', async () => {
    expectScimError(
      await scim({
        url: '/scim/v2/Bulk',
        method: 'POST',
        token: 'gh_scim_good',
        payload: '{}',
        headers: { 'content-type': SCIM_MEDIA_TYPE },
      }),
      404,
    );
    expectScimError(
      await scim({
        url: '/scim/v2/Users',
        method: 'PATCH',
        token: 'gh_scim_good',
        payload: '{}',
        headers: { 'content-type': SCIM_MEDIA_TYPE },
      }),
      404,
    );
    expectScimError(await scim({ url: '/scim/v2/Nothing/here', token: 'gh_scim_good' }), 404);
    expectScimError(await scim({ url: '/scim/v2', token: 'gh_scim_good' }), 404);
    // A method no proxy route takes reaches fastify's not-found handler: SCIM's here too.
    expectScimError(await gateway.app.inject({ method: 'TRACE', url: '/scim/v2/Users' }), 404);
  });

  it('takes application/scim+json and application/json bodies, and 415s anything else', async () => {
    const user = JSON.stringify({ userName: 'ada@example.com', emails: [{ value: 'ada@example.com', primary: true }] });
    for (const type of [SCIM_MEDIA_TYPE, `${SCIM_MEDIA_TYPE}; charset=utf-8`, 'application/json']) {
      const answer = await scim({
        url: '/scim/v2/Users',
        method: 'POST',
        token: 'gh_scim_good',
        payload: user,
        headers: { 'content-type': type },
      });
      expect(answer.statusCode, type).toBe(201);
      expect(JSON.parse(received?.body ?? '')).toEqual(JSON.parse(user));
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const answer = await scim({
        url: '/scim/v2/Users',
        method: 'POST',
        token: 'gh_scim_good',
        payload: user,
        headers: { 'content-type': type },
      });
      expectScimError(answer, 415, /application\/scim\+json/);
    }
  });

  it('takes a DELETE whose missing body is labelled JSON as no body, and says no media type upstream', async () => {
    for (const headers of [{ 'content-type': SCIM_MEDIA_TYPE }, {}] as Record<string, string>[]) {
      const answer = await scim({ url: '/scim/v2/Users/su_1', method: 'DELETE', token: 'gh_scim_good', headers });
      expect(answer.statusCode).toBe(204);
      expect(received?.headers['content-type']).toBeUndefined();
      expect(received?.body).toBe('');
    }
    const empty = await scim({
      url: '/scim/v2/Users',
      method: 'POST',
      token: 'gh_scim_good',
      payload: '',
      headers: { 'content-type': SCIM_MEDIA_TYPE },
    });
    expect(expectScimError(empty, 400).scimType).toBe('invalidSyntax');
  });

  it('400 invalidSyntax for a body that is not JSON, invalidValue for one the edge refuses (NUL)', async () => {
    const broken = await scim({
      url: '/scim/v2/Users',
      method: 'POST',
      token: 'gh_scim_good',
      payload: '{"userName":',
      headers: { 'content-type': SCIM_MEDIA_TYPE },
    });
    expect(expectScimError(broken, 400).scimType).toBe('invalidSyntax');
    const nul = await scim({
      url: '/scim/v2/Users',
      method: 'POST',
      token: 'gh_scim_good',
      payload: JSON.stringify({ userName: 'a\u0000b' }),
      headers: { 'content-type': SCIM_MEDIA_TYPE },
    });
    const body = expectScimError(nul, 400);
    expect(body.scimType).toBe('invalidValue');
    expect(body.detail).toMatch(/userName/);
  });

  it('fits a 5,000-member group PATCH in BODY_LIMIT and passes it on as sent; 413 beyond the limit', async () => {
    const members = Array.from({ length: 5000 }, (_, n) => ({
      value: `01JDA${String(n).padStart(21, '0')}`,
      display: `person.number${n}@example.com`,
    }));
    const patch = JSON.stringify({
      schemas: [SCIM_SCHEMAS.patchOp],
      Operations: [{ op: 'add', path: 'members', value: members }],
    });
    expect(patch.length).toBeGreaterThan(250_000);
    expect(patch.length).toBeLessThan(gateway.config.BODY_LIMIT);
    const answer = await scim({
      url: '/scim/v2/Groups/sg_1',
      method: 'PATCH',
      token: 'gh_scim_good',
      payload: patch,
      headers: { 'content-type': SCIM_MEDIA_TYPE },
    });
    expect(answer.statusCode).toBe(204);
    expect(received?.headers['content-type']).toBe(SCIM_MEDIA_TYPE);
    expect(JSON.parse(received?.body ?? '')).toEqual(JSON.parse(patch));

    const tooLarge = JSON.stringify({
      schemas: [SCIM_SCHEMAS.patchOp],
      Operations: [{ op: 'add', path: 'members', value: [{ value: 'x'.repeat(gateway.config.BODY_LIMIT) }] }],
    });
    const refused = await scim({
      url: '/scim/v2/Groups/sg_1',
      method: 'PATCH',
      token: 'gh_scim_good',
      payload: tooLarge,
      headers: { 'content-type': SCIM_MEDIA_TYPE },
    });
    expectScimError(refused, 413);
  });
});

describe('identity’s answers under /scim/v2', () => {
  it('pass as they are when they are SCIM error documents', async () => {
    const missing = await scim({ url: '/scim/v2/Users/scim-404', token: 'gh_scim_good' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ schemas: [ERROR_URN], status: '404', detail: 'No such user in this directory' });
    const taken = await scim({ url: '/scim/v2/Users/scim-409', token: 'gh_scim_good' });
    expect(taken.json()).toEqual({
      schemas: [ERROR_URN],
      status: '409',
      scimType: 'uniqueness',
      detail: 'userName is taken',
    });
  });

  it('become the SCIM error of their status otherwise: a crash page says nothing of the crash', async () => {
    const crash = await scim({ url: '/scim/v2/Users/crash', token: 'gh_scim_good' });
    expect(expectScimError(crash, 500).detail).not.toMatch(/TypeError|app\.js/);
    const confused = await scim({ url: '/scim/v2/Users/wrong-status', token: 'gh_scim_good' });
    expect(expectScimError(confused, 409).detail).not.toBe('confused');
    expectScimError(await scim({ url: '/scim/v2/Users/huge', token: 'gh_scim_good' }), 400);
  });

  it('keep an envelope’s message, which is written for clients', async () => {
    const answer = await scim({ url: '/scim/v2/Users/envelope', token: 'gh_scim_good' });
    expectScimError(answer, 403, 'Not this directory');
  });

  it('503 with Retry-After when identity is closing or too slow', async () => {
    const closing = await scim({ url: '/scim/v2/Users/shutting-down', token: 'gh_scim_good' });
    expectScimError(closing, 503);
    expect(Number(closing.headers['retry-after'])).toBeGreaterThan(0);
    const slow = await scim({ url: '/scim/v2/Users/slow', token: 'gh_scim_good' });
    expectScimError(slow, 503);
    expect(Number(slow.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('revocation', () => {
  function revoke(id: string): void {
    const event: EventEnvelope<typeof EVENT_SUBJECTS.credentialRevoked> = {
      id: `ev_${id}`,
      type: EVENT_SUBJECTS.credentialRevoked,
      occurredAt: new Date().toISOString(),
      version: 1,
      data: { kind: 'scim', id, userId: '' },
    };
    nc.publish(`${gateway.config.NATS_SUBJECT_PREFIX}${event.type}`, codec.encode(JSON.stringify(event)));
  }

  async function revokedAtOnce(secret: string, purgeId: string): Promise<void> {
    expect((await scim({ url: '/scim/v2/Users', token: secret })).statusCode).toBe(200);
    expect((await scim({ url: '/scim/v2/Users', token: secret })).statusCode).toBe(200);
    expect(asked.get(secret)).toBe(1);
    credentials.delete(secret);
    revoke(purgeId);
    await eventually(async () => expectScimError(await scim({ url: '/scim/v2/Users', token: secret }), 401));
    expect(asked.get(secret)).toBe(2);
  }

  it('of a SCIM token (credential.revoked, kind scim) purges the cached token at once', async () => {
    credentials.set('gh_scim_revoked', directory('dt_revoked', 'dir_2'));
    await revokedAtOnce('gh_scim_revoked', 'dt_revoked');
  });

  it('of every token of a directory (directory:<id>) purges each of them', async () => {
    credentials.set('gh_scim_deleted_directory', directory('dt_other', 'dir_3'));
    await revokedAtOnce('gh_scim_deleted_directory', 'directory:dir_3');
  });
});

describe('limits and outages', () => {
  const down = (request: Call) => call(downstairs.app, request);

  it('spends the SCIM per-IP budget under /scim/v2, apart from the /api one, with a SCIM 429 and Retry-After', async () => {
    const ip = '198.51.100.7';
    // RATE_LIMIT_IP_MAX is 2 here: SCIM calls beyond it are not refused by it.
    for (let n = 0; n < 4; n++) expectScimError(await down({ url: '/scim/v2/Users', ip }), 401);
    const limited = expectScimError(await down({ url: '/scim/v2/Users', ip }), 429);
    expect(limited.detail).toMatch(/Too many requests/);
    const refused = await down({ url: '/scim/v2/Users', ip });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    // The same address still has its /api budget.
    expect((await down({ url: '/api/user/me', ip })).statusCode).toBe(401);
  });

  it('holds each SCIM token to the per-credential limit, whatever the address', async () => {
    const seen: number[] = [];
    for (let n = 0; n < 4; n++) {
      seen.push((await down({ url: '/scim/v2/Users', token: 'gh_scim_busy', ip: `198.51.100.${20 + n}` })).statusCode);
    }
    expect(seen.map((status) => status === 429)).toEqual([false, false, false, true]);
    expect((await down({ url: '/scim/v2/Users', token: 'gh_scim_down', ip: '198.51.100.30' })).statusCode).not.toBe(
      429,
    );
  });

  it('503 with Retry-After when identity cannot be reached, and while its breaker is open', async () => {
    const seen = new Set<number>();
    for (let n = 0; n < 5; n++) {
      // A token each: the per-credential limit (3 here) is not what this test is about.
      credentials.set(`gh_scim_down_${n}`, directory(`dt_down_${n}`));
      const answer = await down({ url: '/scim/v2/Users', token: `gh_scim_down_${n}`, ip: `198.51.100.${40 + n}` });
      expectScimError(answer, 503, /unavailable/);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
      seen.add(answer.statusCode);
    }
    expect(seen).toEqual(new Set([503]));
  });
});
