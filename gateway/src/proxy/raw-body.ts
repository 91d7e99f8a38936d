import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy';
import { ROUTES, type RouteContract } from '@gatehouse/contracts';
import type { HttpApp } from '@gatehouse/service-kit/edge';

type ReplyOptions = NonNullable<FastifyHttpProxyOptions['replyOptions']>;
type ProxyHandler = NonNullable<FastifyHttpProxyOptions['handler']>;

export interface RawBodyProxyOptions {
  bodyLimit: number;
  /** The /api pipeline (route table, limits, credential, policy, principal). */
  preHandler: NonNullable<FastifyHttpProxyOptions['preHandler']>;
  /** Sends through the upstream's circuit breaker (see upstream-breaker.ts). */
  handler: ProxyHandler;
  /** The /api proxy's reply options: upstream, timeout, answer guard, header rewriting. */
  replyOptions: ReplyOptions;
}

/** The routes whose body must reach the service as the bytes the client sent (a signed webhook delivery). */
export const RAW_BODY_ROUTES: readonly RouteContract[] = ROUTES.filter((route) => route.rawBody === true);

/**
 * Each raw-body route in a scope of its own, ahead of the /api proxy's wildcard (a static path wins in
 * the router). reply-from JSON.stringifies any `application/json` body it forwards, even a Buffer, which
 * would break a signature over the bytes; a body handed over with its own content type goes out as it
 * is. JSON is still the only media type taken, and the size limit applies here: 413 and 415 come from
 * the edge, before any rate limit is spent.
 */
export async function registerRawBodyRoutes(app: HttpApp, options: RawBodyProxyOptions): Promise<void> {
  for (const route of RAW_BODY_ROUTES) {
    // The route's path is the proxy's prefix, which cannot hold a parameter.
    if (route.path.includes(':')) throw new Error(`raw-body route ${route.path} must have a static path`);
    await app.register(
      async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser(
          'application/json',
          { parseAs: 'buffer', bodyLimit: options.bodyLimit },
          (_request, body, done) => done(null, body),
        );
        await scope.register(httpProxy, {
          upstream: '',
          rewritePrefix: route.path,
          routes: ['/'],
          httpMethods: [route.method],
          proxyPayloads: false,
          preHandler: options.preHandler,
          handler: (request, reply, dest, replyOptions) =>
            options.handler(request, reply, dest, withRawBody(request, replyOptions)),
          replyOptions: options.replyOptions,
        });
      },
      { prefix: route.path },
    );
  }
}

/** reply-from sends `body` untouched when it is given a content type along with it. */
function withRawBody(request: Parameters<ProxyHandler>[0], replyOptions: ReplyOptions): ReplyOptions {
  const contentType = request.headers['content-type'];
  if (!Buffer.isBuffer(request.body) || !contentType) return replyOptions;
  return { ...replyOptions, body: request.body, contentType };
}
