import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { pino } from 'pino';
import type { Logger } from './logger.js';

const { chindingsSym, serializersSym } = pino.symbols;
type Bindings = pino.Bindings;
type ChildLoggerOptions = pino.ChildLoggerOptions;
type PinoInternals = Record<symbol, unknown> & { onChild?: (child: FastifyBaseLogger) => void };
/** Keys pino's child() never writes as bindings. */
const NOT_BINDINGS = new Set(['level', 'serializers', 'formatters', 'customLevels']);

/**
 * fastify's request lines ("incoming request", "request completed", "request errored"), written through a
 * child of the app's logger that skips redaction. Those lines hold only what the serializers keep (`req`:
 * method, redacted url, id; `res`: the status; `err`: type, code, redacted message) and a number, none of
 * which any redact path can match; redaction still walked each of them, about half of a line's cost. The
 * request's own logger (request.log, used by handlers) keeps redacting. Its level still decides, so a route's
 * `logLevel` holds; requestId rides in the line rather than the bindings, the same field in the JSON.
 */
export class RequestLogController extends LogController {
  private readonly lines: Logger;

  constructor(logger: Logger, options: ConstructorParameters<typeof LogController>[0]) {
    super(options);
    // fastify puts its `res` serializer on each request's logger; this one needs the same.
    this.lines = logger.child({}, { redact: { paths: [] }, serializers: { res: statusOnly } });
  }

  override incomingRequest(request: FastifyRequest, _reply: FastifyReply): void {
    if (this.isLogDisabled(request) || !levelEnabled(request, 'info')) return;
    this.lines.info({ requestId: request.id, req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      if (levelEnabled(request, 'error')) {
        this.lines.error(
          { requestId: request.id, res: reply, err: error, responseTime: reply.elapsedTime },
          'request errored',
        );
      }
    } else if (levelEnabled(request, 'info')) {
      this.lines.info({ requestId: request.id, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}

/** fastify's own `res` serializer. */
function statusOnly(reply: FastifyReply): { statusCode: number } {
  return { statusCode: reply.statusCode };
}

/** The request's logger carries the route's level (`logLevel`); a pino logger underneath. */
function levelEnabled(request: FastifyRequest, level: 'info' | 'error'): boolean {
  return (request.log as Logger).isLevelEnabled(level);
}

/**
 * fastify's per-request logger (its `childLoggerFactory`): the app's logger with `requestId` bound. pino's
 * child() rebuilds the formatters and writes each binding through the redaction stringifier, which with
 * wildcard paths (`*.password`) walks every value; per request that was ~3% of a gateway's CPU. A request id
 * is a string (requestIdFrom admits only [A-Za-z0-9._:-]), and no redact path can match a top-level string,
 * so it is appended to the bindings as pino would write it; the child inherits everything else (redaction,
 * serializers, mixin, level) from the app's logger, as pino's child does. A route's own logLevel or
 * serializers, or any other binding, still go through pino.
 */
export function requestChildLogger(
  logger: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  const extra = options.level === undefined && options.serializers === undefined && plainBindings(logger, bindings);
  if (extra === false) return logger.child(bindings, options);
  const child = Object.create(logger) as FastifyBaseLogger;
  const internals = child as unknown as PinoInternals;
  internals[chindingsSym] = (internals[chindingsSym] as string) + extra;
  internals.onChild?.(child);
  return child;
}

/** The bindings as pino writes them (`,"key":"value"`), or false when one is not a plain string. */
function plainBindings(logger: FastifyBaseLogger, bindings: Bindings): string | false {
  const serializers = (logger as unknown as PinoInternals)[serializersSym] as Record<string, unknown>;
  let written = '';
  for (const key of Object.keys(bindings)) {
    const value = bindings[key];
    if (typeof value !== 'string' || serializers[key] !== undefined || NOT_BINDINGS.has(key)) return false;
    written += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return written;
}
