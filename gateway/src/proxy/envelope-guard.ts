import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyHttpProxyOptions } from '@fastify/http-proxy';
import { ERROR_STATUS, type ErrorCode, errorEnvelope } from '@gatehouse/contracts';
import { UNAVAILABLE_RETRY_SECONDS } from '@gatehouse/service-kit';
import { answerUnavailable, type ProxiedReply } from './upstream-failure.js';

type OnResponse = NonNullable<NonNullable<FastifyHttpProxyOptions['replyOptions']>['onResponse']>;

/** Our error bodies are small; one larger than this is not ours. */
const MAX_ERROR_BODY_BYTES = 65_536;
/** Headers that described the upstream's body, not the one the gateway sends instead. */
const BODY_HEADERS = [
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
  'content-disposition',
  'content-range',
  'transfer-encoding',
  'etag',
  'last-modified',
];

/** The code (and a message for people) an error status travels with when the upstream gave none. */
const SUBSTITUTES: Record<number, [ErrorCode, string]> = {
  400: ['VALIDATION_ERROR', 'The request was refused as invalid'],
  401: ['AUTHENTICATION_REQUIRED', 'Authentication is required'],
  403: ['FORBIDDEN', 'The request is not allowed'],
  404: ['NOT_FOUND', 'Not found'],
  409: ['CONFLICT', 'The request conflicts with the current state'],
  412: ['PRECONDITION_FAILED', 'A precondition failed'],
  413: ['PAYLOAD_TOO_LARGE', 'Request body is too large'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'Request body must be JSON (Content-Type: application/json)'],
  429: ['RATE_LIMIT_ERROR', 'Too many requests, retry later'],
};

/** Which upstream error answers a proxy lets through as they are. */
export interface AnswerPolicy {
  /** The lowest status whose body is checked; answers below it stream through untouched. */
  checkFrom: number;
  /** Whether a body may pass: its media type, and its JSON when it is JSON and parses (else undefined). */
  passes(status: number, mediaType: string, json: unknown): boolean;
}

export function isErrorEnvelope(json: unknown, status: number): boolean {
  if (typeof json !== 'object' || json === null) return false;
  const body = json as Record<string, unknown>;
  return (
    body.success === false &&
    body.status === status &&
    typeof body.code === 'string' &&
    Object.hasOwn(ERROR_STATUS, body.code) &&
    typeof body.message === 'string'
  );
}

/** /api: every error answer is our envelope. */
export const API_ANSWERS: AnswerPolicy = {
  checkFrom: 400,
  passes: (status, _mediaType, json) => isErrorEnvelope(json, status),
};

/**
 * /oauth2 speaks OAuth: its 4xx are RFC 6749 error objects and pages for people, so only a 5xx is
 * checked, and it passes as an envelope, an OAuth error object (`{error}`, which fastify's own
 * `{statusCode, error}` is not) or identity's HTML error page.
 */
export const AUTHORIZATION_SERVER_ANSWERS: AnswerPolicy = {
  checkFrom: 500,
  passes: (status, mediaType, json) => {
    if (mediaType === 'text/html') return true;
    if (isErrorEnvelope(json, status)) return true;
    const body = json as Record<string, unknown> | undefined;
    return typeof body?.error === 'string' && !('statusCode' in body);
  },
};

/**
 * reply-from's onResponse: success answers stream through; an error answer that the policy does
 * not accept (fastify's own `{"statusCode":503,…}` while a service shuts down, an HTML 502 from
 * something in between, an empty body) is replaced by the envelope for its status, with this
 * request's id. Only error bodies are read, and only JSON ones are parsed.
 */
export function guardAnswers(policy: AnswerPolicy): OnResponse {
  return (_request, reply, res) => {
    const { statusCode: status, headers } = res as unknown as { statusCode: number; headers: IncomingHttpHeaders };
    const stream = res.stream as Readable;
    if (status < policy.checkFrom) return void reply.send(stream);
    const mediaType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const encoded = (headers['content-encoding'] ?? 'identity') !== 'identity';
    if (mediaType !== 'application/json' || encoded) {
      if (policy.passes(status, mediaType, undefined)) return void reply.send(stream);
      stream.resume();
      return replaceAnswer(reply, status, mediaType);
    }
    readSmall(stream, MAX_ERROR_BODY_BYTES)
      .then((body) => {
        if (body && policy.passes(status, mediaType, parseJson(body))) reply.send(body);
        else replaceAnswer(reply, status, mediaType);
      })
      .catch((error: unknown) => reply.send(error as Error));
  };
}

function replaceAnswer(reply: ProxiedReply, status: number, mediaType: string): void {
  reply.request.log.warn({ upstreamStatus: status, mediaType }, 'upstream answered without the envelope; replaced');
  for (const header of BODY_HEADERS) reply.removeHeader(header);
  if (status >= 502 && status <= 504) {
    const retryAfter = Number(reply.getHeader('retry-after'));
    answerUnavailable(reply, retryAfter > 0 ? Math.ceil(retryAfter) : UNAVAILABLE_RETRY_SECONDS);
    return;
  }
  const [code, message] = SUBSTITUTES[status] ?? ['INTERNAL_ERROR', 'Something went wrong on our side'];
  const sent = ERROR_STATUS[code];
  reply
    .code(sent)
    .type('application/json')
    .send(errorEnvelope(sent, code, message, reply.request.id));
}

/** The whole body, or null when it is larger than the bound or breaks off. */
async function readSmall(stream: Readable, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        stream.destroy();
        return null;
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  } catch {
    return null;
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}
