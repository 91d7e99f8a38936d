import { ERROR_STATUS, type ErrorCode } from '../errors.js';
import { answerHeaders } from './headers.js';
import type { JsonSchema } from './json-schema.js';
import { ref } from './refs.js';

/** Every error status the gateway or a service answers, by the name of its reusable response. */
export const ERROR_RESPONSES = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'NotFound',
  408: 'RequestTimeout',
  409: 'Conflict',
  412: 'PreconditionFailed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'RateLimited',
  431: 'HeadersTooLarge',
  500: 'InternalError',
  503: 'ServiceUnavailable',
} as const;

export type ErrorStatus = keyof typeof ERROR_RESPONSES;

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'The request is invalid: `meta.errors` lists each field (`field`, `error`, `location`).',
  401: 'No credential, or one that is invalid, expired or revoked. Retrying with the same one will not help.',
  403: 'The credential is valid but may not do this: a missing scope, another organization, a role without the permission, a credential kind the route refuses, or a cross-site cookie write.',
  404: 'No such route, or no such resource visible to the caller.',
  408: 'The request (headers and body) was not received in time; the connection is closed.',
  409: 'The request conflicts with the current state (`meta.reason` says how).',
  412: 'The `If-Match` precondition failed: the resource changed since you read it.',
  413: 'The request body is too large.',
  415: 'The request body is not of the media type the route reads (JSON on /api).',
  429: 'A rate limit is exhausted: wait `Retry-After` seconds.',
  431: 'The request headers are too large.',
  500: 'Something went wrong on our side; the `requestId` identifies it in our logs.',
  503: 'A service or dependency is unavailable: retry after `Retry-After` seconds.',
};

export function codesOfStatus(status: number): ErrorCode[] {
  return (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] === status);
}

export function errorCodeSchema(): JsonSchema {
  const codes = Object.keys(ERROR_STATUS) as ErrorCode[];
  const table = codes.map((code) => `| \`${code}\` | ${ERROR_STATUS[code]} |`).join('\n');
  return {
    type: 'string',
    enum: codes,
    description: `Every error code, with the HTTP status it always travels with:\n\n| code | status |\n| --- | --- |\n${table}`,
    'x-status': { ...ERROR_STATUS },
  };
}

export const ERROR_ENVELOPE: JsonSchema = {
  type: 'object',
  description: 'What every error answers (never the body of a success).',
  required: ['success', 'status', 'code', 'message'],
  properties: {
    success: { const: false },
    status: { type: 'integer', description: 'The HTTP status, repeated.' },
    code: ref('schemas', 'ErrorCode'),
    message: { type: 'string', description: 'For people; match on `code`, never on the message.' },
    meta: { type: 'object', description: 'Details of some errors (`errors` for 400, `reason` for 409, …).' },
    requestId: { type: 'string', description: 'The X-Request-Id of the request.' },
  },
  additionalProperties: false,
};

export const FIELD_ERROR: JsonSchema = {
  type: 'object',
  required: ['field', 'error', 'location'],
  properties: {
    field: { type: 'string' },
    error: { type: 'string' },
    location: { type: 'string', enum: ['body', 'query', 'params', 'headers'] },
  },
  additionalProperties: false,
};

/** The error envelope narrowed to one status: its number and the codes that travel with it. */
export function errorOfStatus(status: number): JsonSchema {
  return {
    allOf: [
      ref('schemas', 'ErrorEnvelope'),
      {
        type: 'object',
        properties: {
          status: { const: status },
          code: { type: 'string', enum: codesOfStatus(status) },
          ...(status === 400
            ? {
                meta: {
                  type: 'object',
                  properties: { errors: { type: 'array', items: ref('schemas', 'FieldError') } },
                },
              }
            : {}),
        },
      },
    ],
  };
}

/** The name of the error envelope narrowed to one status, in components.schemas (`NotFoundError`). */
export const errorSchemaName = (status: ErrorStatus) => ERROR_RESPONSES[status].replace(/(Error)?$/, 'Error');

export function errorAnswerHeaders(status: ErrorStatus): Record<string, unknown> {
  return answerHeaders({ rateLimited: status !== 408 && status !== 431, retryable: status === 429 || status === 503 });
}

export function errorDescription(status: ErrorStatus): string {
  return ERROR_DESCRIPTIONS[status];
}

export function errorResponse(status: ErrorStatus): JsonSchema {
  return {
    description: ERROR_DESCRIPTIONS[status],
    headers: errorAnswerHeaders(status),
    content: { 'application/json': { schema: ref('schemas', errorSchemaName(status)) } },
  };
}
