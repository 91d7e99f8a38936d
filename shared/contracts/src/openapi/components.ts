import {
  ERROR_ENVELOPE,
  ERROR_RESPONSES,
  type ErrorStatus,
  errorCodeSchema,
  errorOfStatus,
  errorResponse,
  errorSchemaName,
  FIELD_ERROR,
} from './error-answers.js';
import { answerHeaders, HEADERS } from './headers.js';
import type { JsonSchema } from './json-schema.js';
import { LIST_META } from './lists.js';
import { ref } from './refs.js';

/** The document's components: envelopes, list meta, error codes and answers, headers, security schemes. */
export function buildComponents(
  securitySchemes: Record<string, unknown>,
  namedSchemas: Record<string, JsonSchema>,
): Record<string, unknown> {
  const statuses = Object.keys(ERROR_RESPONSES).map(Number) as ErrorStatus[];
  return {
    schemas: {
      ...namedSchemas,
      ErrorCode: errorCodeSchema(),
      ErrorEnvelope: ERROR_ENVELOPE,
      FieldError: FIELD_ERROR,
      ListMeta: LIST_META,
      ...Object.fromEntries(statuses.map((status) => [errorSchemaName(status), errorOfStatus(status)])),
    },
    responses: {
      ...Object.fromEntries(statuses.map((status) => [ERROR_RESPONSES[status], errorResponse(status)])),
      Error: {
        description: 'Any other error, as the error envelope.',
        headers: answerHeaders({ rateLimited: false, retryable: false }),
        content: { 'application/json': { schema: ref('schemas', 'ErrorEnvelope') } },
      },
    },
    headers: HEADERS,
    securitySchemes,
  };
}
