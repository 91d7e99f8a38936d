import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from './logger.js';

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
