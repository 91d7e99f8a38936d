import {
  AppError,
  type FieldError,
  SCIM_ERROR_TYPES,
  SCIM_MEDIA_TYPE,
  SCIM_SCHEMAS,
  type ScimErrorType,
  scimErrorDocument,
} from '@gatehouse/contracts';
import { UNAVAILABLE_RETRY_SECONDS } from '@gatehouse/service-kit/edge';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ProxiedReply } from './upstream-failure.js';

/**
 * Under /scim/v2 every failure is RFC 7644 §3.12's error document, in application/scim+json: that
 * is what Okta's and Entra ID's clients parse. The request id travels in X-Request-Id (the document
 * has no place for it).
 */
const DOCUMENT_KEYS = new Set(['schemas', 'status', 'scimType', 'detail']);

/** A SCIM error document for this status, with nothing the contract's ScimError does not allow. */
export function isScimErrorDocument(json: unknown, status: number): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const body = json as Record<string, unknown>;
  return (
    Object.keys(body).every((key) => DOCUMENT_KEYS.has(key)) &&
    Array.isArray(body.schemas) &&
    body.schemas.length === 1 &&
    body.schemas[0] === SCIM_SCHEMAS.error &&
    body.status === String(status) &&
    (body.detail === undefined || typeof body.detail === 'string') &&
    (body.scimType === undefined || (SCIM_ERROR_TYPES as readonly unknown[]).includes(body.scimType))
  );
}

/** RFC 6750 §3: a SCIM client is told to bring a bearer token (the pipeline may already have said why). */
const BEARER_CHALLENGE = 'Bearer';

export function sendScimError(
  reply: FastifyReply | ProxiedReply,
  status: number,
  detail: string,
  scimType?: ScimErrorType,
): void {
  if (status === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', BEARER_CHALLENGE);
  reply
    .code(status)
    .type(SCIM_MEDIA_TYPE)
    .send(JSON.stringify(scimErrorDocument(status, detail, scimType)));
}

/** The breaker's and the upstream guard's 503, as a SCIM error. */
export function scimUnavailable(reply: ProxiedReply, retryAfterSeconds: number): void {
  reply.header('retry-after', String(retryAfterSeconds));
  sendScimError(reply, 503, 'The service is unavailable, retry shortly');
}

/** What a directory is told when it brought no token: how to bring one. */
const NO_TOKEN = 'Send the directory’s SCIM token: Authorization: Bearer gh_scim_…';
const MEDIA_TYPES = 'Request body must be JSON (Content-Type: application/scim+json or application/json)';

interface ScimFailure {
  status: number;
  detail: string;
  scimType?: ScimErrorType;
  retryAfter?: number;
}

/** Every failure under /scim/v2 (the pipeline's, the body parser's, fastify's) as status, detail and scimType. */
function scimFailureOf(error: FastifyError): ScimFailure {
  if (error instanceof AppError) {
    const retryAfter = typeof error.meta?.retryAfter === 'number' ? error.meta.retryAfter : undefined;
    if (error.code === 'AUTHENTICATION_REQUIRED' || error.code === 'NO_TOKEN_PROVIDED') {
      return { status: 401, detail: NO_TOKEN };
    }
    if (error.code === 'VALIDATION_ERROR') return { status: 400, detail: withFields(error), scimType: 'invalidValue' };
    if (error.code === 'SERVICE_UNAVAILABLE') {
      return { status: 503, detail: error.message, retryAfter: retryAfter ?? UNAVAILABLE_RETRY_SECONDS };
    }
    return { status: error.status, detail: error.message, retryAfter };
  }
  const status = error.statusCode ?? 500;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    return { status: 413, detail: 'Request body is too large' };
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return { status: 415, detail: MEDIA_TYPES };
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { status: 400, detail: 'Request body is empty but Content-Type says JSON', scimType: 'invalidSyntax' };
  }
  if (status === 400) return { status: 400, detail: 'Request body is not valid JSON', scimType: 'invalidSyntax' };
  if (status === 404) return { status: 404, detail: 'Not found' };
  if (status === 503) {
    return { status: 503, detail: 'Service is shutting down, retry shortly', retryAfter: UNAVAILABLE_RETRY_SECONDS };
  }
  return { status: 500, detail: 'Something went wrong on our side' };
}

/** The field list, said in the detail as identity's SCIM errors say it ("userName: …; emails.0.value: …"). */
function withFields(error: AppError): string {
  const fields = (error.meta?.errors as FieldError[] | undefined) ?? [];
  if (fields.length === 0) return error.message;
  return fields.map((field) => `${field.field}: ${field.error}`).join('; ');
}

/** The SCIM scope's error handler: never the envelope, never a stack. */
export function answerScimFailure(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const failure = scimFailureOf(error);
  if (failure.status === 503) request.log.warn({ err: error }, 'dependency unavailable');
  else if (failure.status >= 500) request.log.error({ err: error }, 'request failed');
  if (failure.retryAfter !== undefined) reply.header('retry-after', String(failure.retryAfter));
  sendScimError(reply, failure.status, failure.detail, failure.scimType);
}
