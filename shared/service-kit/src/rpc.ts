import { AppError } from '@gatehouse/contracts';
import { context, propagation, ROOT_CONTEXT, type Span, SpanKind, trace } from '@opentelemetry/api';
import {
  headers,
  type Msg,
  type NatsConnection,
  ErrorCode as NatsErrorCode,
  StringCodec,
  type Subscription,
} from 'nats';
import { currentEventContext, EVENT_CONTEXT_HEADER, parseEventContext, withEventContext } from './event-context.js';
import type { Logger } from './logger.js';
import { isOperationalError } from './process-errors.js';
import { activeTracer, endSpan, natsHeaderGetter, natsHeaderSetter, tracerFor } from './tracing.js';

const codec = StringCodec();

/**
 * Answers a core-NATS request/reply subject. Replicas share a queue group, so each
 * request is answered once. A handler failure answers `{ error }`, never silence.
 */
export function serveRpc<Req, Res>(
  nc: NatsConnection,
  subject: string,
  logger: Logger,
  handler: (request: Req) => Promise<Res>,
): Subscription {
  const tracer = tracerFor(logger);
  return nc.subscribe(subject, {
    queue: `rpc.${subject}`,
    callback: (error, message) => {
      if (error) {
        logger.warn({ err: error, subject }, 'rpc subscription error');
        return;
      }
      if (!tracer) {
        void answer(message, subject, logger, handler);
        return;
      }
      // The asker's span (requestRpc) sent its traceparent: the answer is its child.
      const parent = propagation.extract(ROOT_CONTEXT, message.headers, natsHeaderGetter);
      const span = tracer.startSpan(
        `rpc ${subject}`,
        { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'nats', 'rpc.method': subject } },
        parent,
      );
      void context.with(trace.setSpan(parent, span), () => answer(message, subject, logger, handler, span));
    },
  });
}

async function answer<Req, Res>(
  message: Msg,
  subject: string,
  logger: Logger,
  handler: (request: Req) => Promise<Res>,
  span?: Span,
): Promise<void> {
  let response: Res | { error: 'internal' };
  let failed: unknown;
  try {
    // The asker's request context (who, from where) follows the call, so events the handler records carry it.
    const eventContext = parseEventContext(message.headers?.get(EVENT_CONTEXT_HEADER));
    const request = JSON.parse(codec.decode(message.data)) as Req;
    response = await withEventContext(eventContext, () => handler(request));
  } catch (failure) {
    // A database or NATS outage is expected and answered; anything else is a bug to see.
    const level = isOperationalError(failure) ? 'warn' : 'error';
    logger[level]({ err: failure, subject }, 'rpc handler failed');
    response = { error: 'internal' };
    failed = failure;
  }
  if (span) endSpan(span, failed);
  try {
    message.respond(codec.encode(JSON.stringify(response)));
  } catch (failure) {
    // The connection went away meanwhile: the asker times out into a 503 on its side.
    logger.warn({ err: failure, subject }, 'rpc answer not sent');
  }
}

/**
 * Sends a request and waits a bounded time. No responder, a timeout or a failed handler
 * all surface as 503 SERVICE_UNAVAILABLE, never a hang.
 */
export async function requestRpc<Req, Res>(
  nc: NatsConnection,
  subject: string,
  payload: Req,
  timeoutMs = 2000,
): Promise<Res> {
  let raw: string;
  const tracer = activeTracer();
  const span = tracer?.startSpan(`rpc ${subject}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'rpc.system': 'nats', 'rpc.method': subject },
  });
  try {
    const eventContext = currentEventContext();
    const sent = eventContext || span ? headers() : undefined;
    if (eventContext) sent?.set(EVENT_CONTEXT_HEADER, JSON.stringify(eventContext));
    if (span && sent) propagation.inject(trace.setSpan(context.active(), span), sent, natsHeaderSetter);
    const reply = await nc.request(subject, codec.encode(JSON.stringify(payload)), {
      timeout: timeoutMs,
      ...(sent && { headers: sent }),
    });
    raw = codec.decode(reply.data);
    if (span) endSpan(span);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === NatsErrorCode.NoResponders ? 'no responder' : 'timed out';
    if (span) endSpan(span, { name: 'RpcUnavailable', code: reason });
    throw new AppError('SERVICE_UNAVAILABLE', 'A dependency is unavailable, retry shortly', { reason });
  }
  const parsed = JSON.parse(raw) as Res | { error: string };
  if (parsed && typeof parsed === 'object' && 'error' in parsed) {
    throw new AppError('SERVICE_UNAVAILABLE', 'A dependency is unavailable, retry shortly');
  }
  return parsed as Res;
}
