import { answerHeaders } from './headers.js';
import type { JsonSchema } from './json-schema.js';
import type { Operation } from './operations.js';
import { ref } from './refs.js';

/** The gateway's own answers: no upstream, no credential, no route table. */
const tag = 'Gateway';

const UpDown: JsonSchema = { type: 'string', enum: ['up', 'down'] };
const Checks: JsonSchema = { type: 'object', additionalProperties: UpDown };

function envelopeOf(status: number, data: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['success', 'status', 'code', 'message', 'data'],
    properties: {
      success: { const: true },
      status: { const: status },
      code: { const: 'OK' },
      message: { type: 'string' },
      data,
    },
    additionalProperties: false,
  };
}

function object(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', required: Object.keys(properties), properties, additionalProperties: false };
}

function ok(description: string, mediaType: string, schema: JsonSchema): JsonSchema {
  return {
    description,
    headers: answerHeaders({ rateLimited: false, retryable: false }),
    content: { [mediaType]: { schema } },
  };
}

function operation(
  operationId: string,
  summary: string,
  description: string,
  responses: Record<string, unknown>,
): Operation {
  return {
    operationId,
    summary,
    description,
    tags: [tag],
    responses: { ...responses, default: ref('responses', 'Error') },
    security: [],
  };
}

const alive = object({ service: { const: 'gateway' }, status: { const: 'ok' } });

/** `GET` operations of the gateway itself, by path. */
export function gatewayOperations(): Record<string, Operation> {
  return {
    '/openapi.json': operation(
      'getOpenApiDocument',
      'This document',
      'The OpenAPI 3.1 document of the API, generated from the route contracts.',
      { 200: ok('The document', 'application/json', { type: 'object' }) },
    ),
    '/docs': operation(
      'getApiReference',
      'The API reference, for people',
      'A readable reference of this document, served by the gateway itself (no third-party origin).',
      {
        200: ok('The reference page', 'text/html', { type: 'string' }),
        301: { description: 'To `/docs/`, where the page and its script live' },
      },
    ),
    '/docs/js/scalar.js': operation(
      'getApiReferenceScript',
      "The reference page's script",
      'Served with the page, from the gateway.',
      { 200: ok('The script', 'application/javascript', { type: 'string' }) },
    ),
    '/livez': operation('getLiveness', 'Whether the gateway process answers', 'For a liveness probe.', {
      200: ok('Alive', 'application/json', envelopeOf(200, alive)),
    }),
    '/healthz': operation(
      'getHealth',
      'The gateway and whether each service is ready',
      'Always 200 while the gateway is alive; `upstreams` is each service’s readiness as of at most a second ago.',
      {
        200: ok(
          'Alive, with the services',
          'application/json',
          envelopeOf(200, object({ ...(alive.properties as Record<string, JsonSchema>), upstreams: Checks })),
        ),
      },
    ),
    '/readyz': operation(
      'getReadiness',
      'Whether this gateway can serve',
      'For a readiness probe: 503 unless NATS is connected and the principal key signs. Redis and the services’ circuit breakers are reported, not required.',
      {
        200: ok(
          'Ready',
          'application/json',
          envelopeOf(
            200,
            object({
              service: { const: 'gateway' },
              status: { const: 'ready' },
              checks: Checks,
              redis: UpDown,
              upstreams: {
                type: 'object',
                additionalProperties: { type: 'string', enum: ['closed', 'half_open', 'open'] },
              },
            }),
          ),
        ),
        503: ref('responses', 'ServiceUnavailable'),
      },
    ),
    '/metrics': operation('getMetrics', 'Prometheus metrics', 'The gateway’s metrics in the Prometheus text format.', {
      200: ok('Metrics', 'text/plain', { type: 'string' }),
    }),
    '/.well-known/oauth-protected-resource': {
      ...operation(
        'getProtectedResourceMetadata',
        'OAuth protected resource metadata (RFC 9728)',
        'How an OAuth client finds the authorization server of this API and the scopes it knows.',
        {
          200: ok(
            'The metadata',
            'application/json',
            object({
              resource: { type: 'string' },
              authorization_servers: { type: 'array', items: { type: 'string' } },
              scopes_supported: { type: 'array', items: { type: 'string' } },
              bearer_methods_supported: { type: 'array', items: { type: 'string' } },
            }),
          ),
        },
      ),
      tags: ['Authorization server'],
    },
  };
}
