/**
 * What a process without a database, NATS or mail needs (the console): an HTTP app, health, logging,
 * configuration and process lifecycle. The package's index also loads MikroORM, knex, NATS and
 * nodemailer (≈ 20 MB of heap, 50 MB of RSS) for whatever imports anything from it.
 */
export { ConfigError, LOG_LEVELS, type LogLevel, loadConfig } from './config.js';
export { registerHealth, registerLiveness, registerReadiness } from './health.js';
export { createHttpApp, type HttpApp, type HttpAppOptions } from './http.js';
export { createLogger, type Logger } from './logger.js';
export { packageRoot } from './package-root.js';
export { installProcessErrorHandlers } from './process-errors.js';
export { onShutdown } from './shutdown.js';
