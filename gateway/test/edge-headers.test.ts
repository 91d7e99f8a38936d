import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCors } from '../src/edges/cors.js';
import { registerSecurityHeaders } from '../src/edges/security-headers.js';
import { isAuthorizationServerPath } from '../src/proxy/authorization-server.js';

/**
 * The gateway's security headers and CORS are set by its own hooks instead of @fastify/helmet and
 * @fastify/cors. Here both are built side by side with the options the gateway gave the plugins, and
 * every request of a matrix (method × path × origin × preflight headers) must get the same answer.
 */
const ALLOWED = new Set(['https://app.example.com', 'https://console.example.com']);
const EXPOSED = ['x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'etag'];
const OWN_CSP = "default-src 'none'";

function routes(app: FastifyInstance): void {
  app.get('/api/user/me', async () => ({ ok: true }));
  app.post('/api/user/me', async () => ({ ok: true }));
  app.get('/oauth2/auth', async () => ({ ok: true }));
  app.post('/oauth2/token', async () => ({ ok: true }));
  // A route with headers of its own, as the API reference page (its CSP) or an upstream's answer.
  app.get('/reference', async (_request, reply) => {
    reply.header('content-security-policy', OWN_CSP);
    reply.header('vary', 'Accept-Encoding');
    return 'page';
  });
}

/** What the gateway registered before: the plugins, with its options. */
async function withPlugins(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(helmet, { global: true });
  const apiCors = {
    origin: (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) =>
      callback(null, origin === undefined || ALLOWED.has(origin)),
    credentials: true,
    exposedHeaders: EXPOSED,
  };
  await app.register(cors, {
    delegator: (request, callback) =>
      callback(null, isAuthorizationServerPath(request.url) ? { origin: false } : apiCors),
  });
  routes(app);
  await app.ready();
  return app;
}

async function withOwnHooks(): Promise<FastifyInstance> {
  const app = Fastify();
  registerSecurityHeaders(app as never);
  registerCors(app as never, {
    allowedOrigins: ALLOWED,
    exposedHeaders: EXPOSED,
    answersOwnCors: isAuthorizationServerPath,
  });
  routes(app);
  await app.ready();
  return app;
}

let before: FastifyInstance;
let after: FastifyInstance;
beforeAll(async () => {
  [before, after] = await Promise.all([withPlugins(), withOwnHooks()]);
});
afterAll(async () => {
  await Promise.all([before?.close(), after?.close()]);
});

type Request = { method: 'GET' | 'POST' | 'OPTIONS'; url: string; headers: Record<string, string> };

function matrix(): Request[] {
  const requests: Request[] = [];
  const origins = [undefined, 'https://app.example.com', 'https://evil.example.com', 'null', ''];
  const preflights: Array<Record<string, string>> = [
    {},
    { 'access-control-request-method': 'POST' },
    { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-api-key' },
  ];
  for (const url of ['/api/user/me', '/oauth2/auth', '/oauth2/token', '/reference', '/api/nowhere', '/favicon.ico']) {
    for (const origin of origins) {
      const originHeader: Record<string, string> = origin === undefined ? {} : { origin };
      for (const method of ['GET', 'POST'] as const) requests.push({ method, url, headers: originHeader });
      for (const preflight of preflights) {
        requests.push({ method: 'OPTIONS', url, headers: { ...originHeader, ...preflight } });
      }
    }
  }
  return requests;
}

/** The answer without what differs on every request anyway. */
async function answer(app: FastifyInstance, request: Request) {
  const response = await app.inject(request);
  const { date: _date, ...headers } = response.headers;
  return { status: response.statusCode, headers, body: response.body };
}

describe('the gateway’s own security-header and CORS hooks', () => {
  it('answer every request of the matrix exactly as @fastify/helmet and @fastify/cors did', async () => {
    const requests = matrix();
    expect(requests.length).toBeGreaterThan(100);
    for (const request of requests) {
      const label = `${request.method} ${request.url} ${JSON.stringify(request.headers)}`;
      expect(await answer(after, request), label).toEqual(await answer(before, request));
    }
  });

  it('spell and order the security headers as helmet writes them', async () => {
    const names = async (app: FastifyInstance) => {
      const response = await app.inject({ method: 'GET', url: '/api/user/me' });
      return (response.raw.res as unknown as { getRawHeaderNames(): string[] }).getRawHeaderNames();
    };
    const helmetNames = await names(before);
    expect(helmetNames).toContain('Content-Security-Policy');
    expect(await names(after)).toEqual(helmetNames);
  });

  it('leave a route’s own header in place of the default one', async () => {
    const response = await after.inject({ method: 'GET', url: '/reference' });
    expect(response.headers['content-security-policy']).toBe(OWN_CSP);
    expect(response.headers.vary).toBe('Accept-Encoding');
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('reflect an allowed origin, and give a disallowed one nothing to read', async () => {
    const allowed = await after.inject({ url: '/api/user/me', headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const refused = await after.inject({ url: '/api/user/me', headers: { origin: 'https://evil.example.com' } });
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.headers['access-control-allow-credentials']).toBeUndefined();
    expect(refused.headers.vary).toBe('Origin');
  });
});
