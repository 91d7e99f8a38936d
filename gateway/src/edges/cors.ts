import type { HttpApp } from '@gatehouse/service-kit/edge';
import type { FastifyReply } from 'fastify';

export interface CorsOptions {
  /** The origins whose pages may call the API with credentials (PUBLIC_URL's and CORS_ORIGINS). */
  allowedOrigins: ReadonlySet<string>;
  /** The response headers a page may read. */
  exposedHeaders: readonly string[];
  /** Paths that answer CORS themselves (oidc-provider, per client): only `Vary: Origin` here. */
  answersOwnCors: (url: string) => boolean;
}

/** The methods a preflight is told (what @fastify/cors answered by default here). */
const PREFLIGHT_METHODS = 'GET,HEAD,POST';

declare module 'fastify' {
  interface FastifyRequest {
    corsPreflightEnabled: boolean;
  }
}

/**
 * Adds `field` to the response's Vary unless it is there (or Vary is `*`), as @fastify/cors did:
 * a cache must keep answers for different origins apart.
 */
function addToVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  if (current === undefined || current === '' || current === null) {
    reply.header('Vary', field);
    return;
  }
  const value = Array.isArray(current) ? current.join(', ') : String(current);
  const fields = value
    .toLowerCase()
    .split(',')
    .map((part) => part.trim());
  if (fields.includes('*') || fields.includes(field.toLowerCase())) return;
  reply.header('Vary', `${value}, ${field}`);
}

/**
 * CORS for the API, answering exactly as `@fastify/cors` with the gateway's options did (credentials,
 * the exposed headers, an allowed request origin reflected, preflights answered in the hook before
 * any authentication), without that plugin's per-request work of building and merging its options.
 * gateway/test/edge-headers.test.ts holds both to the same answers.
 */
export function registerCors(app: HttpApp, options: CorsOptions): void {
  const exposed = options.exposedHeaders.join(', ');
  app.decorateRequest('corsPreflightEnabled', false);
  app.addHook('onRequest', (request, reply, done) => {
    // Always, whatever the origin: the answer depends on it.
    addToVary(reply, 'Origin');
    if (options.answersOwnCors(request.url)) return done();
    const origin = request.headers.origin;
    // A disallowed origin gets no CORS headers at all (its page cannot read the answer).
    if (origin !== undefined && !options.allowedOrigins.has(origin)) return done();
    if (origin) reply.header('Access-Control-Allow-Origin', origin);
    reply.header('Access-Control-Allow-Credentials', 'true');
    reply.header('Access-Control-Expose-Headers', exposed);
    if (request.raw.method !== 'OPTIONS') return done();

    if (!origin || !request.headers['access-control-request-method']) {
      reply.status(400).type('text/plain').send('Invalid Preflight Request');
      return;
    }
    request.corsPreflightEnabled = true;
    reply.header('Access-Control-Allow-Methods', PREFLIGHT_METHODS);
    addToVary(reply, 'Access-Control-Request-Headers');
    const requested = request.headers['access-control-request-headers'];
    if (requested !== undefined) reply.header('Access-Control-Allow-Headers', requested);
    // Safari waits for a body on a 204 without Content-Length.
    reply.code(204).header('Content-Length', '0').send();
  });
  // Lets fastify accept a preflight to any path; the hook above has answered it (or refused CORS).
  app.options('*', (request, reply) => {
    if (!request.corsPreflightEnabled) {
      reply.callNotFound();
      return;
    }
    reply.send();
  });
}
