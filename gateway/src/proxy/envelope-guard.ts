import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { FastifyHttpProxyOptions } from '@fastify/http-proxy';
import { ERROR_STATUS, type ErrorCode, errorEnvelope, SCIM_MEDIA_TYPE } from '@gatehouse/contracts';
import { UNAVAILABLE_RETRY_SECONDS } from '@gatehouse/service-kit/edge';
import { isScimErrorDocument, scimUnavailable, sendScimError } from './scim-errors.js';
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
export const SUBSTITUTES: Readonly<Record<number, [ErrorCode, string]>> = {
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

/** Which upstream error answers a proxy lets through as they are, and what it sends instead of the others. */
export interface AnswerPolicy {
  /** The lowest status whose body is checked; answers below it stream through untouched. */
  checkFrom: number;
  /** The media types whose error bodies are read and parsed (default: application/json only). */
  jsonMediaTypes?: readonly string[];
  /** Whether a body may pass: its media type, and its JSON when it is JSON and parses (else undefined). */
  passes(status: number, mediaType: string, json: unknown): boolean;
  /**
   * Answers in place of a refused one, the body headers already removed (default: the envelope for its
   * status). `json`: the refused body, when it was read and parsed.
   */
  replace?(reply: ProxiedReply, status: number, json: unknown): void;
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
 * /scim/v2 speaks SCIM: an error passes as identity's SCIM error document (application/scim+json).
 * Anything else (a crash page, fastify's own JSON, our envelope from before the SCIM scope answered)
 * becomes the SCIM error of its status; an envelope keeps its message, which is written for clients.
 * 502–504 (the way to identity, not identity) are the gateway's 503 with Retry-After, as on /api.
 */
export const SCIM_ANSWERS: AnswerPolicy = {
  checkFrom: 400,
  jsonMediaTypes: ['application/json', SCIM_MEDIA_TYPE],
  passes: (status, mediaType, json) => mediaType === SCIM_MEDIA_TYPE && isScimErrorDocument(json, status),
  replace: (reply, status, json) => {
    if (isUnavailable(status)) {
      scimUnavailable(reply, retryAfterOf(reply));
      return;
    }
    const detail = isErrorEnvelope(json, status)
      ? (json as { message: string }).message
      : (SUBSTITUTES[status]?.[1] ?? 'Something went wrong on our side');
    sendScimError(reply, status, detail);
  },
};

const isUnavailable = (status: number) => status >= 502 && status <= 504;

/** The upstream's own Retry-After when it gave a usable one, else ours. */
function retryAfterOf(reply: ProxiedReply): number {
  const retryAfter = Number(reply.getHeader('retry-after'));
  return retryAfter > 0 ? Math.ceil(retryAfter) : UNAVAILABLE_RETRY_SECONDS;
}

/**
 * reply-from's onResponse: success answers stream through; an error answer that the policy does
 * not accept (fastify's own `{"statusCode":503,…}` while a service shuts down, an HTML 502 from
 * something in between, an empty body) is replaced (by default with the envelope for its status, with
 * this request's id). Only error bodies are read, and only those of the policy's JSON media types parsed.
 */
export function guardAnswers(policy: AnswerPolicy): OnResponse {
  const jsonMediaTypes = policy.jsonMediaTypes ?? ['application/json'];
  return (_request, reply, res) => {
    const { statusCode: status, headers } = res as unknown as { statusCode: number; headers: IncomingHttpHeaders };
    const stream = res.stream as Readable;
    if (status < policy.checkFrom) return void reply.send(stream);
    const mediaType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const encoded = (headers['content-encoding'] ?? 'identity') !== 'identity';
    if (!jsonMediaTypes.includes(mediaType) || encoded) {
      if (policy.passes(status, mediaType, undefined)) return void reply.send(stream);
      stream.resume();
      return replaceAnswer(reply, policy, status, mediaType, undefined);
    }
    readSmall(stream, MAX_ERROR_BODY_BYTES)
      .then((body) => {
        const json = body ? parseJson(body) : undefined;
        if (body && policy.passes(status, mediaType, json)) reply.send(body);
        else replaceAnswer(reply, policy, status, mediaType, json);
      })
      .catch((error: unknown) => reply.send(error as Error));
  };
}

function replaceAnswer(
  reply: ProxiedReply,
  policy: AnswerPolicy,
  status: number,
  mediaType: string,
  json: unknown,
): void {
  reply.request.log.warn({ upstreamStatus: status, mediaType }, 'upstream error answer not in our format; replaced');
  for (const header of BODY_HEADERS) reply.removeHeader(header);
  if (policy.replace) policy.replace(reply, status, json);
  else replaceWithEnvelope(reply, status);
}

function replaceWithEnvelope(reply: ProxiedReply, status: number): void {
  if (isUnavailable(status)) {
    answerUnavailable(reply, retryAfterOf(reply));
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
