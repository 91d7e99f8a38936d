import { isConsolePath, SCIM_BASE_PATH, SCIM_MEDIA_TYPE, ScimError } from '@gatehouse/contracts';
import { buildOpenApiDocument } from '@gatehouse/contracts/openapi';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import FindMyWay, { type HTTPMethod, type HTTPVersion } from 'find-my-way';

/**
 * Every answer the e2e suites get from the gateway, checked against the OpenAPI document (issue
 * #14): the operation by method and path template, the response by status (else `default`), the
 * media type, and a JSON body (application/json or SCIM's application/scim+json) against its schema
 * (ajv, JSON Schema 2020-12). A path the document does not know must be answered by an error envelope,
 * or under /scim/v2 by a SCIM error document.
 */
type Json = Record<string, unknown>;
type Operation = { operationId: string; responses: Record<string, Json> };

const document = buildOpenApiDocument({ publicUrl: 'http://localhost:8080' });
const components = document.components as Json;

// ajv-formats is CommonJS: its function is the module under NodeNext, `.default` in some loaders.
const addFormats = ((addFormatsPlugin as unknown as { default?: unknown }).default ?? addFormatsPlugin) as (
  ajv: Ajv2020,
) => void;
// Not strict: OpenAPI's own members (description, x-status, example…) sit next to the keywords.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

const router = FindMyWay<HTTPVersion.V1>({ ignoreTrailingSlash: true, maxParamLength: 500 });
for (const [path, item] of Object.entries(document.paths)) {
  for (const [method, operation] of Object.entries(item)) {
    router.on(method.toUpperCase() as HTTPMethod, path.replace(/\{([^}]+)\}/g, ':$1'), () => undefined, {
      operation,
    });
  }
}

/** `#/components/responses/NotFound` → the response it names. */
function dereference(node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const [, kind, name] = ref.match(/^#\/components\/([^/]+)\/([^/]+)$/) ?? [];
  const target = (components[kind ?? ''] as Json | undefined)?.[name ?? ''] as Json | undefined;
  if (!target) throw new Error(`contract check: cannot resolve ${ref}`);
  return dereference(target);
}

const validators = new Map<string, ValidateFunction>();

/** One compiled schema per (operation, status, media type); its refs resolve in the document's components. */
function validatorFor(key: string, schema: Json): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ components, allOf: [schema] });
    validators.set(key, validate);
  }
  return validate;
}

const errorEnvelope = () => validatorFor('ErrorEnvelope', { $ref: '#/components/schemas/ErrorEnvelope' });
const scimError = () => validatorFor('ScimError', ScimError as unknown as Json);

/** The bodies the checker parses: JSON, and SCIM's JSON. */
const isJsonMediaType = (mediaType: string) => mediaType === 'application/json' || mediaType === SCIM_MEDIA_TYPE;
const mediaTypeOf = (answer: CheckedAnswer) => (answer.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
const isScimPath = (pathname: string) => pathname === SCIM_BASE_PATH || pathname.startsWith(`${SCIM_BASE_PATH}/`);

export interface CheckedAnswer {
  method: string;
  url: URL;
  status: number;
  contentType: string | null;
  text: string;
}

function fail(what: string, answer: CheckedAnswer, detail: string): never {
  throw new Error(
    `OpenAPI mismatch: ${what} ${answer.status} (${answer.method} ${answer.url.pathname}): ${detail}\nbody: ${answer.text.slice(0, 800)}`,
  );
}

function parsed(answer: CheckedAnswer, what: string): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    return fail(what, answer, 'the body is not JSON');
  }
}

function checkJson(what: string, key: string, schema: Json, answer: CheckedAnswer): void {
  const validate = validatorFor(key, schema);
  if (!validate(parsed(answer, what))) fail(what, answer, ajv.errorsText(validate.errors, { separator: '; ' }));
}

/** Throws (failing the test) when the answer is not what the document declares. */
export function checkAnswer(answer: CheckedAnswer): void {
  // A CORS preflight is the HTTP layer's, not an operation.
  if (answer.method === 'OPTIONS') return;
  const found = router.find(answer.method as HTTPMethod, answer.url.pathname);
  const operation = (found?.store as { operation?: Operation } | undefined)?.operation;
  if (!operation) {
    // The web console's pages and files: no API, checked by its own suites.
    if (answer.method === 'GET' && isConsolePath(answer.url.pathname)) return;
    if (answer.status < 400) fail('an unknown route', answer, 'answered without an error');
    // SCIM clients parse SCIM errors only: an unknown route under /scim/v2 answers one.
    const scim = isScimPath(answer.url.pathname);
    if (scim && mediaTypeOf(answer) !== SCIM_MEDIA_TYPE)
      fail('an unknown SCIM route', answer, `media type "${mediaTypeOf(answer)}", expected ${SCIM_MEDIA_TYPE}`);
    const validate = scim ? scimError() : errorEnvelope();
    if (!validate(parsed(answer, 'an unknown route')))
      fail('an unknown route', answer, ajv.errorsText(validate.errors, { separator: '; ' }));
    return;
  }
  const what = operation.operationId;
  const declared = operation.responses[String(answer.status)] ?? operation.responses.default;
  if (!declared) fail(what, answer, 'the status is not declared');
  const response = dereference(declared);
  const content = response.content as Record<string, { schema?: Json }> | undefined;
  if (!content) {
    // A redirect may carry a short note for people (RFC 9110 §15.4); clients follow Location.
    if (answer.text !== '' && !(answer.status >= 300 && answer.status < 400))
      fail(what, answer, 'a body where the document declares none');
    return;
  }
  const mediaType = mediaTypeOf(answer);
  const media = content[mediaType];
  if (!media) fail(what, answer, `media type "${mediaType}", declared: ${Object.keys(content).join(', ')}`);
  if (isJsonMediaType(mediaType) && media.schema)
    checkJson(what, `${what} ${answer.status} ${mediaType}`, media.schema, answer);
}

const checkedOrigins = new Set<string>();
const unchecked = globalThis.fetch;

function requestLine(input: Parameters<typeof fetch>[0], init?: RequestInit): { method: string; url: URL } {
  const url = new URL(input instanceof Request ? input.url : input instanceof URL ? input.href : String(input));
  const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  return { method, url };
}

/**
 * `fetch` that checks each answer from a gateway under test against the document. Installed as the
 * global fetch by the e2e stack, so ApiClient, the SDK, openid-client and raw `fetch` calls in the
 * suites are all checked; answers from anything else (an IdP, a webhook receiver) pass unchecked.
 */
export const checkedFetch: typeof fetch = async (input, init) => {
  const response = await unchecked(input, init);
  const { method, url } = requestLine(input, init);
  // HEAD answers carry no body to check; their GET twin is checked.
  if (checkedOrigins.has(url.origin) && method !== 'HEAD') {
    checkAnswer({
      method,
      url,
      status: response.status,
      contentType: response.headers.get('content-type'),
      text: await response.clone().text(),
    });
  }
  return response;
};

/** From now on, every answer from this gateway is checked (test/support/stack.ts calls it per gateway). */
export function checkAnswersFrom(baseUrl: string): void {
  checkedOrigins.add(new URL(baseUrl).origin);
  globalThis.fetch = checkedFetch;
}

/** For a gateway whose upstream is a test double: its answers are the double's, not the API's. */
export function stopCheckingAnswersFrom(baseUrl: string): void {
  checkedOrigins.delete(new URL(baseUrl).origin);
}

/** Compiles the schema of every declared answer, so a schema ajv cannot read fails before any answer needs it. */
export function compileEveryAnswerSchema(): number {
  let compiled = 0;
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Operation[]) {
      for (const [status, declared] of Object.entries(operation.responses)) {
        const content = dereference(declared).content as Record<string, { schema?: Json }> | undefined;
        for (const [mediaType, media] of Object.entries(content ?? {})) {
          if (!media.schema) continue;
          validatorFor(`${operation.operationId} ${status} ${mediaType}`, media.schema);
          compiled += 1;
        }
      }
    }
  }
  return compiled;
}
