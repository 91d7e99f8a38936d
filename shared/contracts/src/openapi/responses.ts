import { ERROR_STATUS } from '../errors.js';
import { isTenantRoute, type NamedRouteContract, type RouteResponse } from '../routes/contract.js';
import {
  ERROR_RESPONSES,
  type ErrorStatus,
  errorAnswerHeaders,
  errorDescription,
  errorSchemaName,
} from './error-answers.js';
import { answerHeaders } from './headers.js';
import type { JsonSchema } from './json-schema.js';
import type { ToJsonSchema } from './named-schemas.js';
import { ref } from './refs.js';

/** `text/html; charset=utf-8` → `text/html`: the media type, as a content key and as the checker compares it. */
export const mediaTypeOf = (contentType: string) => contentType.split(';')[0]?.trim().toLowerCase() ?? contentType;

/** Proxied by the authorization-server prefix (oidc-provider, or identity's login and consent pages). */
export const isAuthorizationServerRoute = (contract: NamedRouteContract) =>
  Boolean(contract.servedBy || contract.routedBy);

/** The success envelope: `data` the route's schema (an array of it for a list, with the list meta). */
function successEnvelope(response: RouteResponse, data: JsonSchema): JsonSchema {
  const { status, list } = response;
  return {
    type: 'object',
    required: ['success', 'status', 'code', 'message', 'data', ...(list ? ['meta'] : [])],
    properties: {
      success: { const: true },
      status: { const: status },
      code: { const: 'OK' },
      message: { type: 'string' },
      data: list ? { type: 'array', items: data } : data,
      meta: list ? ref('schemas', 'ListMeta') : { type: 'object' },
    },
    additionalProperties: false,
  };
}

function successResponse(contract: NamedRouteContract, response: RouteResponse, toJson: ToJsonSchema): JsonSchema {
  const headers: Record<string, unknown> = answerHeaders({ rateLimited: true, retryable: false });
  for (const [name, description] of Object.entries(response.headers ?? {}))
    headers[name] = { description, schema: { type: 'string' } };
  const answer: JsonSchema = { description: contract.summary, headers };
  if (response.data) {
    answer.content = { 'application/json': { schema: successEnvelope(response, toJson(response.data)) } };
  } else if (response.contentType) {
    const schema = response.body ? toJson(response.body) : { type: 'string' };
    const content: Record<string, JsonSchema> = { [mediaTypeOf(response.contentType)]: { schema } };
    for (const alternate of response.alternateContentTypes ?? []) content[mediaTypeOf(alternate)] = { schema };
    answer.content = content;
  }
  return answer;
}

export function successResponses(contract: NamedRouteContract, toJson: ToJsonSchema): Record<string, JsonSchema> {
  const all = [contract.response, ...(contract.otherResponses ?? [])];
  return Object.fromEntries(
    all.map((response) => [String(response.status), successResponse(contract, response, toJson)]),
  );
}

/** The error statuses of an /api route: from its policy (gateway) and its declared codes (service). */
export function errorStatusesOf(contract: NamedRouteContract): ErrorStatus[] {
  if (isAuthorizationServerRoute(contract)) return authorizationServerStatuses(contract);
  const statuses = new Set<number>([404, 429, 503]);
  const hasInput = Boolean(contract.params || contract.query || contract.body || contract.rawBody || contract.headers);
  if (hasInput) statuses.add(400);
  if (contract.auth === 'required') statuses.add(401);
  const policed =
    contract.scopes || contract.credentials || contract.accountWide || contract.permission || isTenantRoute(contract);
  // A cookie write from another origin is refused on any route (cross-site check) but the few that take such posts by design.
  const crossSiteChecked = contract.method !== 'GET' && !contract.crossSitePosts;
  if ((contract.auth === 'required' && policed) || crossSiteChecked) statuses.add(403);
  if (contract.body || contract.rawBody) {
    statuses.add(413);
    statuses.add(415);
  }
  for (const code of contract.errors ?? []) statuses.add(ERROR_STATUS[code]);
  return sorted(statuses);
}

/**
 * What the gateway itself answers on the authorization server's paths, as envelopes: its rate
 * limit and breaker everywhere; on identity's login and consent forms also the cross-site check,
 * the form parser (size, media type) and a repeated email.
 */
function authorizationServerStatuses(contract: NamedRouteContract): ErrorStatus[] {
  const statuses = new Set<number>([429, 503]);
  if (contract.routedBy && contract.method === 'POST') for (const status of [400, 403, 413, 415]) statuses.add(status);
  return sorted(statuses);
}

function sorted(statuses: Set<number>): ErrorStatus[] {
  return [...statuses].filter((status): status is ErrorStatus => status in ERROR_RESPONSES).sort((a, b) => a - b);
}

/** A route whose failures are not (only) the envelope: its own error body, plus the gateway's envelope. */
function ownErrorResponse(
  contract: NamedRouteContract,
  status: number,
  byGateway: boolean,
  toJson: ToJsonSchema,
): JsonSchema {
  const own = contract.errorResponse!;
  const content: Record<string, { schema: JsonSchema }> = {};
  if (own.statuses.includes(status)) {
    content[mediaTypeOf(own.contentType)] = { schema: own.body ? toJson(own.body) : { type: 'string' } };
  }
  if (byGateway) {
    const envelope = ref('schemas', errorSchemaName(status as ErrorStatus));
    const json = content['application/json'];
    content['application/json'] = { schema: json ? { anyOf: [json.schema, envelope] } : envelope };
  }
  const description = [
    own.statuses.includes(status) ? own.description : undefined,
    byGateway ? errorDescription(status as ErrorStatus) : undefined,
  ];
  return {
    description: description.filter(Boolean).join(' ') || 'An error',
    headers: byGateway
      ? errorAnswerHeaders(status as ErrorStatus)
      : answerHeaders({ rateLimited: true, retryable: false }),
    content,
  };
}

export function errorResponses(contract: NamedRouteContract, toJson: ToJsonSchema): Record<string, unknown> {
  const gateway = errorStatusesOf(contract);
  const own = contract.errorResponse;
  if (!own) {
    return {
      ...Object.fromEntries(gateway.map((status) => [String(status), ref('responses', ERROR_RESPONSES[status])])),
      default: ref('responses', 'Error'),
    };
  }
  const statuses = [...new Set<number>([...gateway, ...own.statuses])].sort((a, b) => a - b);
  const responses: Record<string, unknown> = Object.fromEntries(
    statuses.map((status) => [
      String(status),
      ownErrorResponse(contract, status, (gateway as number[]).includes(status), toJson),
    ]),
  );
  const ownMedia = mediaTypeOf(own.contentType);
  const ownSchema = own.body ? toJson(own.body) : { type: 'string' };
  const envelope = ref('schemas', 'ErrorEnvelope');
  responses.default = {
    description: 'Any other error: the route’s own error body, or the error envelope.',
    content:
      ownMedia === 'application/json'
        ? { 'application/json': { schema: { anyOf: [ownSchema, envelope] } } }
        : { [ownMedia]: { schema: ownSchema }, 'application/json': { schema: envelope } },
  };
  return responses;
}
