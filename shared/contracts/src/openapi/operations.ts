import { isTenantRoute, type NamedRouteContract } from '../routes/contract.js';
import { type JsonSchema, objectMembers } from './json-schema.js';
import { PAGINATION_GUIDE } from './lists.js';
import type { ToJsonSchema } from './named-schemas.js';
import { errorResponses, successResponses } from './responses.js';
import { securityOf } from './security.js';

export type Operation = Record<string, unknown>;

/** What the list query fields mean, on every list that declares them. */
const LIST_QUERY_DESCRIPTIONS: Record<string, string> = {
  offset: 'Items to skip (offset paging; `meta.total` counts every match).',
  limit: 'Items per page.',
  cursor: 'The `meta.nextCursor` of the previous page (cursor paging; keep the same sort and filters).',
  sort: 'A field, ascending, or `-field`, descending.',
  q: 'A case-insensitive substring to search for (wildcards are literal).',
};

function descriptionOf(contract: NamedRouteContract, location: string, name: string, schema: JsonSchema) {
  if (typeof schema.description === 'string') return schema.description;
  if (contract.response.list && location === 'query') return LIST_QUERY_DESCRIPTIONS[name];
  return undefined;
}

function parameters(contract: NamedRouteContract): JsonSchema[] {
  const located = [
    ['path', contract.params],
    ['query', contract.query],
    ['header', contract.headers],
  ] as const;
  return located.flatMap(([location, schema]) =>
    objectMembers(schema).map((member) => {
      const description = descriptionOf(contract, location, member.name, member.schema);
      return {
        name: member.name,
        in: location,
        required: location === 'path' ? true : member.required,
        schema: member.schema,
        ...(description ? { description } : {}),
      };
    }),
  );
}

function describe(contract: NamedRouteContract): string | undefined {
  const parts = [contract.description];
  if (contract.response.list) parts.push(PAGINATION_GUIDE);
  if (contract.errors?.length)
    parts.push(
      `Errors of this route beyond the common ones: ${contract.errors.map((code) => `\`${code}\``).join(', ')}.`,
    );
  if (contract.permission) parts.push(`Needs a membership whose role grants \`${contract.permission}\`.`);
  const text = parts.filter(Boolean).join('\n\n');
  return text || undefined;
}

function extensions(contract: NamedRouteContract): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (contract.scopes) out['x-gatehouse-scopes-any-of'] = [...contract.scopes];
  if (isTenantRoute(contract)) out['x-gatehouse-tenant'] = true;
  if (contract.permission) out['x-gatehouse-permission'] = contract.permission;
  if (contract.limit) out['x-gatehouse-rate-limit'] = contract.limit;
  if (contract.credentials) out['x-gatehouse-credentials'] = [...contract.credentials];
  if (contract.accountWide) out['x-gatehouse-account-wide'] = true;
  if (contract.crossSitePosts) out['x-gatehouse-cross-site-posts'] = true;
  if (contract.errors?.length) out['x-gatehouse-errors'] = [...contract.errors];
  return out;
}

/** One contract as one OpenAPI operation. */
export function operationOf(contract: NamedRouteContract, toJson: ToJsonSchema): Operation {
  const description = describe(contract);
  const operation: Operation = {
    operationId: contract.operationId,
    summary: contract.summary,
    ...(description ? { description } : {}),
    tags: [contract.tag],
  };
  const params = parameters(contract);
  if (params.length) operation.parameters = params;
  if (contract.body) {
    operation.requestBody = {
      required: true,
      content: { [contract.bodyContentType ?? 'application/json']: { schema: toJson(contract.body) } },
    };
  } else if (contract.rawBody) {
    // Verified by signature before it is parsed: the sender's own schema (a Stripe event), passed on byte for byte.
    operation.requestBody = {
      required: true,
      content: {
        'application/json': { schema: { type: 'object', description: 'The signed payload, exactly as sent' } },
      },
    };
  }
  operation.responses = { ...successResponses(contract, toJson), ...errorResponses(contract, toJson) };
  operation.security = securityOf(contract);
  return { ...operation, ...extensions(contract) };
}
