import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { errorEnvelope } from '@gatehouse/contracts';
import type { FastifyReply, RawServerBase, RouteGenericInterface } from 'fastify';

/** The reply @fastify/reply-from hands its hooks. */
export type ProxiedReply = FastifyReply<
  RouteGenericInterface,
  RawServerBase,
  IncomingMessage | Http2ServerRequest,
  ServerResponse | Http2ServerResponse
>;

const UNAVAILABLE_MESSAGE = 'The service is unavailable, retry shortly';

/**
 * reply-from's retry policy, for every proxy: never. By default it sends a GET that got a 503 up
 * to ten more times (and `maxRetriesOn503: 0` still means ten), which multiplies the load on a
 * struggling service by eleven and overruns UPSTREAM_TIMEOUT_MS. The client decides, from
 * Retry-After, whether to try again.
 */
export const neverRetry = (): null => null;

/** How a proxy says "unavailable, come back in n seconds": the envelope (/api, /oauth2) or a SCIM error (/scim/v2). */
export type AnswerUnavailable = (reply: ProxiedReply, retryAfterSeconds: number) => void;

/** 503 SERVICE_UNAVAILABLE with the request id and when to come back. */
export const answerUnavailable: AnswerUnavailable = (reply, retryAfterSeconds) => {
  reply
    .code(503)
    .header('retry-after', String(retryAfterSeconds))
    .type('application/json')
    .send(errorEnvelope(503, 'SERVICE_UNAVAILABLE', UNAVAILABLE_MESSAGE, reply.request.id));
};

/** A proxied service that cannot be reached or is too slow: a retryable 503 (the envelope unless `answer` says otherwise). */
export function answerUpstreamFailure(
  reply: ProxiedReply,
  error: unknown,
  upstream: string,
  retryAfterSeconds: number,
  answer: AnswerUnavailable = answerUnavailable,
): void {
  reply.request.log.warn({ err: error, upstream }, 'upstream failed');
  answer(reply, retryAfterSeconds);
}
