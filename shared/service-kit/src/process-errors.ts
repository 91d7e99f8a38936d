import { isDatabaseUnavailable } from './db-errors.js';
import type { Logger } from './logger.js';
import { unhandledErrors } from './process-metrics.js';

/** Errors the language or Node raise for a bug in our code: the process state cannot be trusted. */
const PROGRAMMING_ERRORS = [TypeError, ReferenceError, SyntaxError, RangeError, EvalError, URIError];

/**
 * Whether an error comes from the world (a refused or reset socket, a DNS failure, a timeout, a
 * database or NATS outage) rather than from our code. Checked on the error and its causes, since
 * a bug-shaped wrapper can carry an operational cause (`TypeError: fetch failed`, cause ECONNREFUSED).
 */
export function isOperationalError(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const candidate = current as {
      name?: unknown;
      code?: unknown;
      errno?: unknown;
      syscall?: unknown;
      cause?: unknown;
    };
    // A system error from a socket, DNS or the file system (ECONNREFUSED, ETIMEDOUT, ENOTFOUND…).
    if (typeof candidate.syscall === 'string' || typeof candidate.errno === 'number') return true;
    if (typeof candidate.code === 'string' && /^E[A-Z]+$/.test(candidate.code)) return true;
    if (candidate.name === 'TimeoutError' || candidate.name === 'AbortError') return true;
    // NATS away or slow; a refused login is configuration, not an outage.
    if (candidate.name === 'NatsError' && !/AUTH|PERMISSION/.test(String(candidate.code))) return true;
    current = candidate.cause;
  }
  return false;
}

/**
 * A bug (TypeError, ReferenceError, an assertion…) as opposed to an operational failure: only
 * these stop the process, since after them its state is not what the code assumes.
 */
export function isProgrammingError(error: unknown): boolean {
  if (isOperationalError(error)) return false;
  if (PROGRAMMING_ERRORS.some((kind) => error instanceof kind)) return true;
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return name === 'AssertionError' || code === 'ERR_ASSERTION';
}

export type ProcessErrorKind = 'unhandledRejection' | 'uncaughtException';

/**
 * What the process does with an error nobody caught: log it loudly (fatal, with the error), count
 * it, and exit only for a programming error. An operational one (a dependency failing) leaves the
 * process up: every request and background task already answers or retries on its own.
 */
export function handleProcessError(
  logger: Logger,
  kind: ProcessErrorKind,
  error: unknown,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const programming = isProgrammingError(error);
  unhandledErrors.inc({ kind });
  // `Promise.reject('text')` happens too; the log serializer expects an Error.
  const err = error instanceof Error ? error : new Error(`a rejection that is not an Error: ${String(error)}`);
  logger.fatal(
    { err, kind, exiting: programming },
    programming ? `${kind}: a programming error; exiting` : `${kind}: an operational error; staying up`,
  );
  if (programming) {
    logger.flush?.();
    exit(1);
  }
}

let installed = false;

/** Installed once per process by runService and the gateway's main. */
export function installProcessErrorHandlers(logger: Logger): void {
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => handleProcessError(logger, 'unhandledRejection', reason));
  process.on('uncaughtException', (error) => handleProcessError(logger, 'uncaughtException', error));
}
