import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  AppError,
  ERROR_STATUS,
  type ErrorCode,
  errorEnvelope,
  type FieldError,
  type FieldLocation,
  newId,
  type SuccessEnvelope,
  successEnvelope,
} from '@gatehouse/contracts';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { answerClientError } from './client-errors.js';
import { isDatabaseUnavailable } from './db-errors.js';
import { buildValidator, refuseUnstorable } from './http-input.js';
import { RequestLogController, requestChildLogger } from './http-logging.js';
import { keepSpanActive, TracedLogController } from './http-tracing.js';
import type { Logger } from './logger.js';
import { tracerFor } from './tracing.js';
import { endUnusedConnectionsOnClose } from './unused-connections.js';

export type HttpApp = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

/** What a 503 tells the client to wait: long enough for a restart or failover, short enough to feel live. */
export const UNAVAILABLE_RETRY_SECONDS = 2;

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's X-Request-Id when it is sane, else a fresh ULID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && SANE_REQUEST_ID.test(value) ? value : newId();
}

export interface HttpAppOptions {
  logger: Logger;
  bodyLimit: number;
  /** The gateway decides trust of X-Forwarded-For itself; services never trust it. */
  trustProxy?: boolean | string | string[];
  /**
   * The public edge (the gateway): a client's traceparent is recorded as a link, never continued, so a
   * client can neither choose the trace id services log nor decide what is sampled.
   */
  edge?: boolean;
}

/**
 * A fastify instance that speaks the public envelope on every path: validation,
 * malformed JSON, wrong media type, oversized body, unknown route, and the unexpected.
 */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  // Decided once per app: with tracing off no hook is added and no request pays for it.
  const tracer = tracerFor(options.logger);
  const logging = { requestIdLogLabel: 'requestId' };
  const app = Fastify({
    clientErrorHandler: answerClientError,
    loggerInstance: options.logger,
    childLoggerFactory: requestChildLogger,
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy ?? false,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    logController: tracer
      ? new TracedLogController(tracer, options.logger, logging, { edge: options.edge === true })
      : new RequestLogController(options.logger, logging),
    // Our own closing answer (below) is the envelope; fastify's is not.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    schemaController: { compilersFactory: { buildValidator } },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpApp;

  if (tracer) keepSpanActive(app);
  // JSON is the only request media type of the API (docs/api.md "Conventions").
  app.removeContentTypeParser('text/plain');

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  endUnusedConnectionsOnClose(app);
  // Callback style: an async hook costs every request a promise and a microtask turn.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (!closing) return done();
    reply.header('connection', 'close');
    done(new AppError('SERVICE_UNAVAILABLE', 'Service is shutting down, retry shortly'));
  });
  app.addHook('preValidation', refuseUnstorable);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const envelope = toErrorEnvelope(error, request);
    if (envelope.code === 'SERVICE_UNAVAILABLE') {
      // An expected state (a dependency is down), already answered with a retryable 503.
      request.log.warn({ err: error }, 'dependency unavailable');
    } else if (envelope.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    }
    const retryAfter = error instanceof AppError ? error.meta?.retryAfter : undefined;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    else if (envelope.code === 'SERVICE_UNAVAILABLE') reply.header('retry-after', String(UNAVAILABLE_RETRY_SECONDS));
    return reply.code(envelope.status).type('application/json').send(envelope);
  });

  app.setNotFoundHandler((request, reply) => {
    const body = errorEnvelope(
      404,
      'NOT_FOUND',
      `Route ${request.method} ${request.url.split('?')[0]} not found`,
      request.id,
    );
    return reply.code(404).send(body);
  });

  return app;
}

function toErrorEnvelope(error: FastifyError, request: FastifyRequest) {
  if (error instanceof AppError) {
    const meta = error.meta ? { ...error.meta } : undefined;
    if (meta) delete meta.retryAfter;
    return errorEnvelope(
      error.status,
      error.code,
      error.message,
      request.id,
      meta && Object.keys(meta).length ? meta : undefined,
    );
  }
  if (error.validation) {
    const location = contextToLocation(error.validationContext);
    const errors = oneErrorPerField(
      error.validation.map((issue) => [issue.keyword, toFieldError(issue, location)] as const),
    );
    return errorEnvelope(400, 'VALIDATION_ERROR', 'Validation failed', request.id, { errors });
  }
  if (isDatabaseUnavailable(error)) {
    return errorEnvelope(503, 'SERVICE_UNAVAILABLE', 'A dependency is unavailable, retry shortly', request.id);
  }
  const status = error.statusCode ?? 500;
  const code = frameworkErrorCode(error.code, status);
  if (code) {
    return errorEnvelope(ERROR_STATUS[code], code, frameworkMessage(code, error), request.id, fieldMeta(code));
  }
  return errorEnvelope(500, 'INTERNAL_ERROR', 'Something went wrong on our side', request.id);
}

function frameworkErrorCode(code: string | undefined, status: number): ErrorCode | null {
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE' || status === 413) return 'PAYLOAD_TOO_LARGE';
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 400) return 'VALIDATION_ERROR';
  if (status === 404) return 'NOT_FOUND';
  if (status === 503) return 'SERVICE_UNAVAILABLE';
  return null;
}

function frameworkMessage(code: ErrorCode, error: FastifyError): string {
  switch (code) {
    case 'PAYLOAD_TOO_LARGE':
      return 'Request body is too large';
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'Request body must be JSON (Content-Type: application/json)';
    case 'VALIDATION_ERROR':
      return error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'Request body is empty but Content-Type is application/json'
        : 'Request body is not valid JSON';
    case 'SERVICE_UNAVAILABLE':
      return 'Service is shutting down, retry shortly';
    default:
      return 'Not found';
  }
}

function fieldMeta(code: ErrorCode): Record<string, unknown> | undefined {
  if (code !== 'VALIDATION_ERROR') return undefined;
  return { errors: [{ field: 'body', error: 'must be valid JSON', location: 'body' }] };
}

function contextToLocation(context: string | undefined): FieldLocation {
  if (context === 'querystring') return 'query';
  if (context === 'params' || context === 'headers') return context;
  return 'body';
}

/** Keywords that only echo the alternatives of a union; a branch's own error says more. */
const GENERIC_KEYWORDS = new Set(['anyOf', 'oneOf', 'type', 'const', 'if']);

/**
 * A nullable or union field fails once per branch; the client wants one line per field, with the
 * most specific reason (e.g. "must NOT have more than 2000 characters" over "must be null").
 */
function oneErrorPerField(issues: ReadonlyArray<readonly [string, FieldError]>): FieldError[] {
  const chosen = new Map<string, { keyword: string; error: FieldError }>();
  for (const [keyword, error] of issues) {
    const current = chosen.get(error.field);
    if (!current || (GENERIC_KEYWORDS.has(current.keyword) && !GENERIC_KEYWORDS.has(keyword))) {
      chosen.set(error.field, { keyword, error });
    }
  }
  return [...chosen.values()].map((entry) => entry.error);
}

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

export function toFieldError(issue: ValidationIssue, location: FieldLocation): FieldError {
  const path = issue.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (issue.keyword === 'required') {
    const missing = String(issue.params.missingProperty ?? '');
    return { field: path ? `${path}.${missing}` : missing, error: 'is required', location };
  }
  if (issue.keyword === 'additionalProperties') {
    const extra = String(issue.params.additionalProperty ?? '');
    return { field: path ? `${path}.${extra}` : extra, error: 'is not allowed', location };
  }
  if (issue.keyword === 'format') {
    const format = String(issue.params.format ?? '');
    return {
      field: path || location,
      error: format === 'email' ? 'must be an email' : `must be a valid ${format}`,
      location,
    };
  }
  if (issue.keyword === 'pattern') return { field: path || location, error: 'has an invalid format', location };
  return { field: path || location, error: issue.message ?? 'is invalid', location };
}

/** Sets the status and returns the success envelope, so a handler can `return ok(…)`. */
export function ok<T>(
  reply: FastifyReply,
  message: string,
  data: T,
  options: { status?: number; meta?: SuccessEnvelope['meta'] } = {},
): SuccessEnvelope<T> {
  const status = options.status ?? 200;
  reply.code(status);
  return successEnvelope(status, message, data, options.meta);
}
