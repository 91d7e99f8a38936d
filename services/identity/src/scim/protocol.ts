import {
  AppError,
  type FieldError,
  SCIM_MEDIA_TYPE,
  type ScimErrorType,
  scimErrorDocument,
} from '@gatehouse/contracts';
import { type HttpApp, isDatabaseUnavailable, toFieldError, UNAVAILABLE_RETRY_SECONDS } from '@gatehouse/service-kit';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** A SCIM failure: answered as RFC 7644 §3.12's error document by the SCIM scope's error handler. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: ScimErrorType,
  ) {
    super(message);
    this.name = 'ScimError';
  }
}

/**
 * Makes `scope` speak SCIM: `application/scim+json` bodies parsed as JSON (with fastify's own parser,
 * so prototype poisoning is refused the same way), every failure (a ScimError, an AppError, validation,
 * malformed JSON) answered as a SCIM error document: SCIM clients parse nothing else.
 */
export function useScimProtocol(scope: HttpApp): void {
  scope.addContentTypeParser(SCIM_MEDIA_TYPE, { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));
  scope.setErrorHandler((error: FastifyError, request, reply) => {
    const answer = toScimFailure(error, request);
    if (answer.status === 503) request.log.warn({ err: error }, 'dependency unavailable');
    else if (answer.status >= 500) request.log.error({ err: error }, 'request failed');
    if (answer.retryAfter !== undefined) reply.header('retry-after', String(answer.retryAfter));
    return reply
      .code(answer.status)
      .type(SCIM_MEDIA_TYPE)
      .send(scimErrorDocument(answer.status, answer.detail, answer.scimType));
  });
}

/** Answers a SCIM resource (or nothing, for 204) with SCIM's media type; `location` for a created one. */
export function sendScim(reply: FastifyReply, status: number, body?: unknown, location?: string): FastifyReply {
  reply.code(status);
  if (location) reply.header('location', location);
  if (status === 204 || body === undefined) return reply.send();
  return reply.type(SCIM_MEDIA_TYPE).send(body);
}

interface ScimFailure {
  status: number;
  detail: string;
  scimType?: ScimErrorType;
  retryAfter?: number;
}

const GENERIC_DETAIL = 'Something went wrong on our side';

function toScimFailure(error: FastifyError, request: FastifyRequest): ScimFailure {
  if (error instanceof ScimError) {
    const detail = error.status >= 500 && error.status !== 501 && error.status !== 503 ? GENERIC_DETAIL : error.message;
    return { status: error.status, detail, ...(error.scimType && { scimType: error.scimType }) };
  }
  if (error instanceof AppError) return fromAppError(error);
  if (error.validation) return fromValidation(error, request);
  if (isDatabaseUnavailable(error)) {
    return { status: 503, detail: 'A dependency is unavailable, retry shortly', retryAfter: UNAVAILABLE_RETRY_SECONDS };
  }
  return fromFramework(error);
}

function fromAppError(error: AppError): ScimFailure {
  const status = error.status;
  const retry = error.meta?.retryAfter;
  const retryAfter =
    typeof retry === 'number' ? retry : error.code === 'SERVICE_UNAVAILABLE' ? UNAVAILABLE_RETRY_SECONDS : undefined;
  if (status >= 500 && status !== 503) return { status: 500, detail: GENERIC_DETAIL };
  const failure: ScimFailure = { status, detail: error.message, ...(retryAfter !== undefined && { retryAfter }) };
  if (status === 400) {
    const errors = error.meta?.errors as FieldError[] | undefined;
    if (Array.isArray(errors) && errors.length > 0) failure.detail = describeFields(errors);
    failure.scimType = 'invalidValue';
  }
  // RFC 7644 §3.12: a 409 is a uniqueness conflict.
  if (status === 409) failure.scimType = 'uniqueness';
  return failure;
}

function fromValidation(error: FastifyError, _request: FastifyRequest): ScimFailure {
  const context = error.validationContext;
  const location =
    context === 'querystring' ? 'query' : context === 'params' || context === 'headers' ? context : 'body';
  const issues = error.validation ?? [];
  // A body that is not a JSON object at all (an array, a string): the request is not SCIM.
  const notAnObject =
    location === 'body' && issues.some((issue) => issue.instancePath === '' && issue.keyword === 'type');
  const fields = issues.map((issue) => toFieldError(issue, location));
  return {
    status: 400,
    detail: notAnObject ? 'The request body must be a JSON object' : describeFields(fields),
    scimType: notAnObject ? 'invalidSyntax' : 'invalidValue',
  };
}

/** "userName: must be a string; emails.0.value: is required" — one line per field. */
function describeFields(errors: FieldError[]): string {
  const seen = new Map<string, string>();
  for (const { field, error } of errors) if (!seen.has(field)) seen.set(field, error);
  return [...seen].map(([field, error]) => `${field}: ${error}`).join('; ');
}

/** What fastify itself refuses: malformed or empty JSON, a wrong media type, an oversized body. */
function fromFramework(error: FastifyError): ScimFailure {
  const status = error.statusCode ?? 500;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) {
    return { status: 413, detail: 'Request body is too large' };
  }
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
    return { status: 415, detail: `Request body must be JSON (Content-Type: ${SCIM_MEDIA_TYPE})` };
  }
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { status: 400, detail: 'Request body is empty', scimType: 'invalidSyntax' };
  }
  if (status === 400) return { status: 400, detail: 'Request body is not valid JSON', scimType: 'invalidSyntax' };
  if (status === 404) return { status: 404, detail: 'Not found' };
  if (status === 503)
    return { status: 503, detail: 'Service is unavailable, retry shortly', retryAfter: UNAVAILABLE_RETRY_SECONDS };
  return { status: 500, detail: GENERIC_DETAIL };
}
