import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createHttpApp, createLogger, type HttpApp } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { stopCheckingAnswersFrom } from '../support/contract-check.js';
import { signedInUser } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * A real HTTP upstream on loopback standing in for a service: the test scripts its answer and
 * counts the requests that reach it. Stopping it closes the port; starting it again reopens the same one.
 */
interface Answer {
  status: number;
  type?: string;
  headers?: Record<string, string>;
  body?: string | object | Readable;
}

class ScriptedUpstream {
  hits = 0;
  port = 0;
  /** 'never': the request is held, unanswered, until the upstream stops. */
  answer: Answer | 'never' = { status: 200, body: { success: true, status: 200, code: 'OK', message: 'ok', data: [] } };
  private app: HttpApp | null = null;
  private held: Array<() => void> = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const app = createHttpApp({ logger: createLogger('scripted-upstream', 'silent'), bodyLimit: 1_048_576 });
    app.all('/*', async (_request, reply) => {
      this.hits += 1;
      if (this.answer === 'never') return new Promise<void>((release) => this.held.push(release));
      const { status, type, headers = {}, body } = this.answer;
      reply.code(status).headers(headers);
      if (type) reply.type(type);
      return reply.send(body);
    });
    await app.listen({ host: '127.0.0.1', port: this.port });
    this.port = (app.server.address() as AddressInfo).port;
    this.app = app;
    return this;
  }

  async stop(): Promise<void> {
    for (const release of this.held.splice(0)) release();
    await this.app?.close();
    this.app = null;
  }
}

/** fastify's own answer while it closes (return503OnClosing), byte for byte. */
const FASTIFY_CLOSING_BODY = '{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}';

let stack: Stack;
let alice: Awaited<ReturnType<typeof signedInUser>>;
const upstream = new ScriptedUpstream();
let projects: string;

beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' });
  alice = await signedInUser(stack, 'Alice Reliable');
  projects = `/api/user/organizations/${alice.organizationId}/projects`;
  await upstream.start();
});
afterAll(async () => {
  await upstream.stop();
  await stack?.close();
});

/** A gateway whose project (or identity) upstream is the scripted one; its breakers never open unless asked. */
async function gatewayTo(overrides: Record<string, string>) {
  const gateway = await stack.addGateway({ UPSTREAM_BREAKER_MIN_CALLS: '100000', ...overrides });
  // Its upstream is scripted: what comes through is the script's, not the API's.
  stopCheckingAnswersFrom(gateway.url);
  const asAlice = (path: string, init: RequestInit = {}) =>
    fetch(`${gateway.url}${path}`, {
      ...init,
      headers: { cookie: alice.client.cookieHeader(), ...(init.headers as Record<string, string>) },
    });
  return { ...gateway, asAlice };
}

function breakerState(metrics: string, name: string): number | undefined {
  const line = metrics
    .split('\n')
    .find((row) => row.startsWith('gateway_upstream_breaker_state{') && row.includes(`upstream="${name}"`));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}

describe('gateway: no retries', () => {
  it('sends a GET that got a 503 to the upstream exactly once (/api)', async () => {
    const gateway = await gatewayTo({ PROJECT_URL: upstream.url });
    upstream.answer = {
      status: 503,
      headers: { 'retry-after': '0' },
      body: { success: false, status: 503, code: 'SERVICE_UNAVAILABLE', message: 'database away' },
    };
    upstream.hits = 0;
    const res = await gateway.asAlice(projects);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
    expect(upstream.hits).toBe(1);
  });

  it('sends a GET that got a 503 to the upstream exactly once (/oauth2)', async () => {
    const gateway = await gatewayTo({ IDENTITY_URL: upstream.url });
    upstream.answer = { status: 503, body: { error: 'temporarily_unavailable', error_description: 'database away' } };
    upstream.hits = 0;
    const res = await fetch(`${gateway.url}/oauth2/jwks`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(upstream.hits).toBe(1);
  });
});

describe('gateway: every answer is the envelope', () => {
  const bodies: Array<[string, Answer, { status: number; code: string }]> = [
    [
      "fastify's own closing 503",
      { status: 503, type: 'application/json', body: FASTIFY_CLOSING_BODY },
      { status: 503, code: 'SERVICE_UNAVAILABLE' },
    ],
    [
      'an HTML 502 from something in between',
      { status: 502, type: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' },
      { status: 503, code: 'SERVICE_UNAVAILABLE' },
    ],
    ['an empty 503', { status: 503 }, { status: 503, code: 'SERVICE_UNAVAILABLE' }],
    [
      'a plain-text 500',
      { status: 500, type: 'text/plain', body: 'Internal Server Error' },
      { status: 500, code: 'INTERNAL_ERROR' },
    ],
    [
      'a JSON 404 that is not ours',
      { status: 404, body: { message: 'Route GET:/x not found', statusCode: 404 } },
      { status: 404, code: 'NOT_FOUND' },
    ],
  ];

  it.each(bodies)('replaces %s with the envelope, keeping the request id', async (_label, answer, expected) => {
    const gateway = await gatewayTo({ PROJECT_URL: upstream.url });
    upstream.answer = answer;
    const res = await gateway.asAlice(projects, { headers: { 'x-request-id': 'trace-reliability-1' } });
    expect(res.status).toBe(expected.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-request-id')).toBe('trace-reliability-1');
    const body = await res.json();
    expect(body).toMatchObject({ success: false, ...expected, requestId: 'trace-reliability-1' });
    expect(typeof (body as { message: unknown }).message).toBe('string');
    if (expected.status === 503) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('passes successful and enveloped answers through untouched', async () => {
    const gateway = await gatewayTo({ PROJECT_URL: upstream.url });
    const success = '{"success":true,"status":200,"code":"OK","message":"Projects fetched","data":[{"id":"p1"}]}';
    upstream.answer = { status: 200, type: 'application/json', body: success };
    const ok = await gateway.asAlice(projects);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe(success);

    const conflict =
      '{"success":false,"status":409,"code":"CONFLICT","message":"Taken","meta":{"reason":"SLUG_TAKEN"},"requestId":"r1"}';
    upstream.answer = { status: 409, type: 'application/json; charset=utf-8', body: conflict };
    const refused = await gateway.asAlice(projects);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toBe(conflict);
  });

  it('keeps streaming a successful answer: the client reads the first part before the upstream ends', async () => {
    const gateway = await gatewayTo({ PROJECT_URL: upstream.url });
    const body = new Readable({ read() {} });
    upstream.answer = { status: 200, type: 'application/json', body };
    body.push('{"success":true,"status":200,');
    const res = await gateway.asAlice(projects);
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('{"success":true,"status":200,');
    body.push('"code":"OK","message":"m","data":[]}');
    body.push(null);
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    expect(rest).toBe('"code":"OK","message":"m","data":[]}');
  });

  it('on /oauth2 lets OAuth error objects through and replaces fastify bodies', async () => {
    const gateway = await gatewayTo({ IDENTITY_URL: upstream.url });
    upstream.answer = { status: 400, body: { error: 'invalid_request', error_description: 'missing' } };
    const oauthError = await fetch(`${gateway.url}/oauth2/jwks`);
    expect(oauthError.status).toBe(400);
    expect(await oauthError.json()).toEqual({ error: 'invalid_request', error_description: 'missing' });

    upstream.answer = { status: 503, type: 'application/json', body: FASTIFY_CLOSING_BODY };
    const closing = await fetch(`${gateway.url}/oauth2/jwks`, { headers: { 'x-request-id': 'trace-oauth-1' } });
    expect(closing.status).toBe(503);
    expect(await closing.json()).toMatchObject({
      success: false,
      code: 'SERVICE_UNAVAILABLE',
      requestId: 'trace-oauth-1',
    });
  });
});

describe('gateway: readiness tells the truth about the gateway', () => {
  it('stays ready with an upstream down, which /healthz shows', async () => {
    const gateway = await stack.addGateway({ PROJECT_URL: 'http://127.0.0.1:1' });
    const client = new ApiClient(gateway.url);
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.data).toMatchObject({
      status: 'ready',
      checks: { nats: 'up', signingKey: 'up' },
      redis: 'up',
      upstreams: { identity: 'closed', organization: 'closed', project: 'closed' },
    });
    const health = await client.get('/healthz');
    expect(health.body.data.upstreams).toMatchObject({ identity: 'up', organization: 'up', project: 'down' });
    expect((await client.get('/livez')).status).toBe(200);
  });

  it('is not ready, naming nats, once its NATS connection is closed (and still alive)', async () => {
    const gateway = await stack.addGateway();
    const client = new ApiClient(gateway.url);
    expect((await client.get('/readyz')).status).toBe(200);
    await gateway.deps.nc.close();
    const ready = await client.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      success: false,
      code: 'SERVICE_UNAVAILABLE',
      meta: { status: 'not_ready', checks: { nats: 'down', signingKey: 'up' } },
    });
    expect(ready.body.message).toContain('nats');
    expect((await client.get('/livez')).status).toBe(200);
  });
});

describe('gateway: circuit breaking per upstream', () => {
  it('opens on a failing upstream (fast 503 + Retry-After, nothing sent), half-opens and closes', async () => {
    const flaky = await new ScriptedUpstream().start();
    try {
      const gateway = await gatewayTo({
        PROJECT_URL: flaky.url,
        UPSTREAM_BREAKER_MIN_CALLS: '4',
        UPSTREAM_BREAKER_ERROR_PERCENT: '50',
        UPSTREAM_BREAKER_RESET_MS: '5000',
      });
      const metrics = async () => (await fetch(`${gateway.url}/metrics`)).text();
      expect((await gateway.asAlice(projects)).status).toBe(200);
      expect(breakerState(await metrics(), 'project')).toBe(0);

      await flaky.stop();
      for (let attempt = 0; attempt < 4; attempt++) expect((await gateway.asAlice(projects)).status).toBe(503);
      expect(breakerState(await metrics(), 'project')).toBe(2);

      // Back, but the breaker is open: answered at once and never sent.
      await flaky.start();
      flaky.hits = 0;
      for (let attempt = 0; attempt < 3; attempt++) {
        const refused = await gateway.asAlice(projects);
        expect(refused.status).toBe(503);
        expect(await refused.json()).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(5);
      }
      expect(flaky.hits).toBe(0);
      // Other upstreams are unaffected.
      expect((await gateway.asAlice(`/api/user/organizations/${alice.organizationId}`)).status).toBe(200);
      expect((await new ApiClient(gateway.url).get('/readyz')).body.data.upstreams.project).toBe('open');

      // After the reset timeout one trial goes through; its success closes the breaker.
      await eventually(async () => expect((await gateway.asAlice(projects)).status).toBe(200), 15_000, 250);
      expect(flaky.hits).toBe(1);
      const after = await metrics();
      expect(breakerState(after, 'project')).toBe(0);
      for (const to of ['open', 'half_open', 'closed']) {
        expect(after).toMatch(
          new RegExp(`gateway_upstream_breaker_transitions_total\\{[^}]*upstream="project"[^}]*to="${to}"[^}]*\\} 1`),
        );
      }
      expect(breakerState(after, 'identity')).toBe(0);
    } finally {
      await flaky.stop();
    }
  });

  it('counts upstream timeouts as failures', async () => {
    const slow = await new ScriptedUpstream().start();
    slow.answer = 'never';
    try {
      const gateway = await gatewayTo({
        PROJECT_URL: slow.url,
        UPSTREAM_TIMEOUT_MS: '300',
        UPSTREAM_BREAKER_MIN_CALLS: '2',
      });
      for (let attempt = 0; attempt < 2; attempt++) expect((await gateway.asAlice(projects)).status).toBe(503);
      expect(slow.hits).toBe(2);
      const refused = await gateway.asAlice(projects);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(slow.hits).toBe(2);
    } finally {
      await slow.stop();
    }
  });
});
