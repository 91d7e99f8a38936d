import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy';
import { SCIM_BASE_PATH, SCIM_MEDIA_TYPE } from '@gatehouse/contracts';
import type { HttpApp } from '@gatehouse/service-kit/edge';
import { guardAnswers, SCIM_ANSWERS } from './envelope-guard.js';
import { upstreamHeaders } from './headers.js';
import { answerScimFailure, sendScimError } from './scim-errors.js';
import { neverRetry } from './upstream-failure.js';

type ReplyOptions = NonNullable<FastifyHttpProxyOptions['replyOptions']>;

export interface ScimProxyOptions {
  /** Where the request's route lives (identity, for every SCIM route). */
  upstreamUrl: NonNullable<ReplyOptions['getUpstream']>;
  timeoutMs: number;
  bodyLimit: number;
  /** The /api pipeline, spending the SCIM per-IP budget: route table, limits, credential, policy, principal. */
  preHandler: NonNullable<FastifyHttpProxyOptions['preHandler']>;
  /** Sends through the upstream's circuit breaker, whose 503s are SCIM errors (see upstream-breaker.ts). */
  handler: FastifyHttpProxyOptions['handler'];
  /** What the client receives of identity's answer headers (revocations purged, internal ones gone). */
  answerHeaders: NonNullable<ReplyOptions['rewriteHeaders']>;
}

/**
 * SCIM 2.0 at /scim/v2, proxied to identity like /api (the same route table, limits, credential
 * resolution and signed principal), in a scope of its own so that everything the gateway answers here
 * is a SCIM error document, never the envelope: 401 (no or a bad token, with WWW-Authenticate), 403
 * (a person's credential, or a token on a route that does not admit it), 404 (no such SCIM route),
 * 413, 415, 429 (with Retry-After), 503. Bodies are JSON in either media type; the upstream's answers
 * are guarded by SCIM_ANSWERS.
 */
export async function registerScimProxy(app: HttpApp, options: ScimProxyOptions): Promise<void> {
  await app.register(
    async (scim) => {
      scim.setErrorHandler(answerScimFailure);
      // A method the proxy does not route (TRACE, …) under /scim/v2 is SCIM's 404 too.
      scim.setNotFoundHandler((request, reply) =>
        sendScimError(reply, 404, `Route ${request.method} ${request.url.split('?')[0]} not found`),
      );
      // Parsed here, so the checks on bodies (size, NUL, depth) apply at the edge; anything else is a 415.
      scim.removeAllContentTypeParsers();
      const json = scim.getDefaultJsonParser('error', 'error');
      scim.addContentTypeParser(
        ['application/json', SCIM_MEDIA_TYPE],
        { parseAs: 'string', bodyLimit: options.bodyLimit },
        (request, body, done) => {
          // Some clients label a DELETE's missing body as JSON: that is no body, not a malformed one.
          if (request.method === 'DELETE' && body.length === 0) return done(null, undefined);
          json(request, body as string, done);
        },
      );
      await scim.register(httpProxy, {
        upstream: '',
        rewritePrefix: SCIM_BASE_PATH,
        proxyPayloads: false,
        // reply-from re-encodes a parsed body only for the media types it is told are JSON.
        contentTypesToEncode: [SCIM_MEDIA_TYPE],
        preHandler: options.preHandler,
        handler: options.handler,
        replyOptions: {
          timeout: options.timeoutMs,
          retryDelay: neverRetry,
          onResponse: guardAnswers(SCIM_ANSWERS),
          rewriteHeaders: options.answerHeaders,
          getUpstream: options.upstreamUrl,
          rewriteRequestHeaders: (request, headers) => {
            const sent = upstreamHeaders(headers, {
              principalToken: request.gateway.principalToken ?? '',
              requestId: request.id,
              clientIp: request.ip,
              proto: request.protocol,
              host: request.headers.host,
              path: request.url,
            });
            // A media type goes with a body; without one, identity must not look for it.
            if (request.body === undefined) delete sent['content-type'];
            return sent;
          },
        },
      });
    },
    { prefix: SCIM_BASE_PATH },
  );
}
