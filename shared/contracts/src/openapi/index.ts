export { buildOpenApiDocument, type OpenApiDocument, type OpenApiDocumentOptions } from './document.js';
export { codesOfStatus, ERROR_RESPONSES, type ErrorStatus } from './error-answers.js';
export { RATE_LIMIT_HEADERS } from './headers.js';
export { type JsonSchema, toJsonSchema } from './json-schema.js';
export { type Operation, operationOf } from './operations.js';
export { openApiPath } from './paths.js';
export { errorStatusesOf, isAuthorizationServerRoute, mediaTypeOf } from './responses.js';
export { oauthScopes, securityOf, securitySchemes } from './security.js';
