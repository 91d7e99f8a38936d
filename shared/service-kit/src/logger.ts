import { type Logger, pino } from 'pino';
import { currentEventContext } from './event-context.js';
import { activeTraceIds, activeTracer } from './tracing.js';

/**
 * Paths never written to a log line: credentials, secrets and anything a user typed
 * as a password. pino replaces them before serialisation.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["x-gatehouse-principal"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.secret',
  '*.key',
];

export function createLogger(service: string, level = 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    mixin: correlationFields,
    mixinMergeStrategy: mergeCorrelation,
    serializers: {
      req: (req: { method?: string; url?: string; id?: string }) => ({
        method: req.method,
        url: redactUrl(req.url ?? ''),
        id: req.id,
      }),
      // Error objects are logged with message and type only; stacks stay out of shipped logs
      // unless debug is on, since they can carry SQL or secrets from driver messages.
      err: (err: Error & { code?: string }) =>
        level === 'debug' || level === 'trace'
          ? pino.stdSerializers.err(err)
          : { type: err.name, code: err.code, message: redactSql(err.message) },
    },
  };
  if (destination) return pino(options, destination);
  // `pnpm start` in a terminal asks for readable lines; everywhere else logs stay JSON.
  if (process.env.LOG_PRETTY === '1') {
    options.transport = {
      target: 'pino-pretty',
      options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,name' },
    };
  }
  return pino(options);
}

/** What the mixin returns when it has nothing to add: never mutated (see mergeCorrelation). */
const NOTHING: Readonly<Record<string, string>> = Object.freeze({});
const { chindingsSym } = pino.symbols;

/**
 * The trace and span ids of the active span (when tracing is on), and the request id of the request or
 * consumed event the work serves when the logger does not carry it already: fastify's request loggers and
 * the consumer's event loggers bind `requestId`; a service's own logger used inside a handler does not.
 */
function correlationFields(_line: object, _level: number, logger: Logger): Record<string, string> {
  const ids: Record<string, string> | undefined = activeTracer() ? activeTraceIds() : undefined;
  const requestId = currentEventContext()?.requestId;
  const addRequestId = requestId !== undefined && !bindsRequestId(logger);
  if (!ids && !addRequestId) return NOTHING;
  const fields = ids ?? {};
  if (addRequestId) fields.requestId = requestId;
  return fields;
}

function bindsRequestId(logger: Logger): boolean {
  return ((logger as unknown as Record<symbol, string | undefined>)[chindingsSym] ?? '').includes('"requestId"');
}

/** pino's default merge writes into the mixin's object; the shared empty one must stay empty. */
function mergeCorrelation(line: object, fields: object): object {
  return fields === NOTHING ? line : Object.assign(fields, line);
}

/** Single-use secrets travel in some URLs (verification links, invitation paths); never log them. */
export function redactUrl(url: string): string {
  return url
    .replace(/([?&](?:token|code|key|id_token_hint|access_token|refresh_token|client_secret)=)[^&#]*/gi, '$1[redacted]')
    .replace(/(\/invites\/)[A-Za-z0-9]{20,}(\/accept)/, '$1[redacted]$2');
}

/** Drivers put SQL in error messages; keep the first words, drop statements. */
export function redactSql(message: string): string {
  return message.replace(/\b(select|insert|update|delete|with)\b[\s\S]*/i, '[query redacted]');
}

export type { Logger };
