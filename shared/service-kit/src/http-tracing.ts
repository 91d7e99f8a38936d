import {
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpApp } from './http.js';
import { RequestLogController } from './http-logging.js';
import { type Logger, redactUrl } from './logger.js';
import { endSpan } from './tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span in its context; only decorated while tracing is on (http-tracing.ts). */
    traceContext: Context | null;
  }
}

/**
 * Request logging that also opens and closes each request's server span, so that the first log line
 * ("incoming request") and the last ("request completed") are written inside it and carry its trace id.
 * fastify calls `incomingRequest` before any hook and `requestCompleted` after the last, which makes
 * them the span's natural bounds. Only used while tracing is on (createHttpApp decides once).
 */
export class TracedLogController extends RequestLogController {
  constructor(
    private readonly tracer: Tracer,
    logger: Logger,
    options: ConstructorParameters<typeof RequestLogController>[1],
    private readonly trust: { edge: boolean },
  ) {
    super(logger, options);
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    // Behind the gateway, its traceparent makes this span its child. At the edge a client's is only a
    // link: the trace (and whether it is sampled) starts here.
    const incoming = propagation.extract(ROOT_CONTEXT, request.headers);
    const clientSpan = this.trust.edge ? trace.getSpanContext(incoming) : undefined;
    const parent = this.trust.edge ? ROOT_CONTEXT : incoming;
    const span = this.tracer.startSpan(
      request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          // Invitation tokens travel in paths: redacted as in the logs.
          'url.path': redactUrl(request.url.split('?')[0] ?? '/'),
          'gatehouse.request_id': request.id,
        },
        ...(clientSpan && isSpanContextValid(clientSpan) ? { links: [{ context: clientSpan }] } : {}),
      },
      parent,
    );
    const traced = trace.setSpan(parent, span);
    request.traceContext = traced;
    context.with(traced, () => super.incomingRequest(request, reply));
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const traced = request.traceContext;
    const span = traced && trace.getSpan(traced);
    if (!traced || !span) {
      super.requestCompleted(error, request, reply);
      return;
    }
    context.with(traced, () => super.requestCompleted(error, request, reply));
    const route = request.routeOptions.url;
    if (route) {
      span.updateName(`${request.method} ${route}`);
      span.setAttribute('http.route', route);
    }
    span.setAttribute('http.response.status_code', reply.statusCode);
    // A 4xx is the client's; only a 5xx (or a broken response) marks the server span failed.
    endSpan(span, error ?? (reply.statusCode >= 500 ? { name: `HTTP ${reply.statusCode}` } : undefined));
  }
}

/**
 * Keeps the request's span active through its lifecycle: fastify runs hooks through callbacks, and a
 * body is read from stream events, so the context set when the request came in would be lost. Re-entered
 * in onRequest (hooks, preParsing) and preValidation (after the body: validation, preHandler, the
 * handler and everything it awaits). Registered first, so every later hook runs inside.
 */
export function keepSpanActive(app: HttpApp): void {
  app.decorateRequest('traceContext', null);
  const reenter = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const traced = request.traceContext;
    if (traced) context.with(traced, done);
    else done();
  };
  app.addHook('onRequest', reenter);
  app.addHook('preValidation', reenter);
  app.addHook('onRequestAbort', (request, done) => {
    const span = request.traceContext && trace.getSpan(request.traceContext);
    if (span) endSpan(span, { name: 'RequestAborted' });
    request.traceContext = null;
    done();
  });
}
