export type { Middleware } from 'openapi-fetch';
export { createGatehouseClient, type GatehouseClient, type GatehouseClientOptions } from './client.js';
export { apiKeyAuth, bearerAuth, DEFAULT_SESSION_COOKIE, SessionJar } from './credentials.js';
export { type DataOf, type ErrorCode, type ErrorEnvelope, type FetchResult, GatehouseError, unwrap } from './errors.js';
export { type ListPage, paginate } from './pagination.js';
export type { components, operations, paths } from './schema.js';
