import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { errorEnvelope } from '@gatehouse/contracts';
import type { FastifyReply, RawServerBase, RouteGenericInterface } from 'fastify';

/** The reply @fastify/reply-from hands its onError hook. */
export type ProxiedReply = FastifyReply<
  RouteGenericInterface,
  RawServerBase,
  IncomingMessage | Http2ServerRequest,
  ServerResponse | Http2ServerResponse
>;

/** A proxied service that cannot be reached or is too slow: a retryable 503 envelope. */
export function answerUpstreamFailure(reply: ProxiedReply, error: unknown, upstream: string): void {
  reply.request.log.warn({ err: error, upstream }, 'upstream failed');
  reply
    .code(503)
    .type('application/json')
    .send(errorEnvelope(503, 'SERVICE_UNAVAILABLE', 'The service is unavailable, retry shortly', reply.request.id));
}
