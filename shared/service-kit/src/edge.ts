/**
 * The kit without its database half: everything a process with no database of its own (the gateway) uses.
 * Importing this instead of the package root keeps MikroORM, knex and lodash (≈ 550 modules) out of that
 * process; the package root re-exports all of it beside the database half. (./web.ts is the smaller cut, for a
 * process without NATS either: the console.)
 */
export * from './breaker.js';
export * from './config.js';
export * from './event-context.js';
export * from './health.js';
export * from './http.js';
export { firstUnstorable } from './http-input.js';
export * from './logger.js';
export * from './metrics.js';
export * from './nats.js';
export * from './nats-auth.js';
export * from './package-root.js';
export * from './principal.js';
export * from './process-errors.js';
export * from './process-metrics.js';
export * from './pump.js';
export * from './retention.js';
export * from './rpc.js';
export * from './sealing.js';
export * from './secrets.js';
export * from './shutdown.js';
export * from './slug.js';
export * from './startup.js';
export * from './tracing.js';
