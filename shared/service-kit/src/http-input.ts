import AjvCompiler from '@fastify/ajv-compiler';
import { type FieldError, type FieldLocation, validationError } from '@gatehouse/contracts';
import type { FastifyRequest, FastifyServerOptions } from 'fastify';

/**
 * Deeper JSON than any route's schema describes is refused once parsed (JSON.parse and fastify's poisoning
 * check are iterative) and before anything recursive sees it.
 */
export const MAX_JSON_DEPTH = 64;

/** The ajv options every route validates with (fastify's own defaults otherwise). */
const AJV_OPTIONS = { allErrors: true, removeAdditional: false, useDefaults: true } as const;

/** Fastify's own type for a validator builder (what @fastify/ajv-compiler returns). */
type ValidatorBuilder = NonNullable<
  NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']
>;

// The compiler fastify builds by default (@fastify/ajv-compiler at fastify's own pinned version, with
// ajv-formats), so only coercion differs between the two instances below.

/**
 * Query strings, params and headers are text on the wire, so `?limit=5` becomes 5. A body says its own
 * types: `"expiresIn":"3600"` or `"email":["a@b"]` is the client's mistake, never silently converted.
 */
export const buildValidator: ValidatorBuilder = (externalSchemas, ajv) => {
  const build = AjvCompiler() as ValidatorBuilder;
  const plugins = ajv?.plugins ?? [];
  const text = build(externalSchemas, { plugins, customOptions: { ...AJV_OPTIONS, coerceTypes: 'array' } });
  const json = build(externalSchemas, { plugins, customOptions: { ...AJV_OPTIONS, coerceTypes: false } });
  return (route) => (route.httpPart === 'body' ? json : text)(route);
};

interface Unstorable {
  path: string;
  error: string;
}

const NUL_ERROR = 'must not contain a NUL character';
const SURROGATE_ERROR = 'must be well-formed Unicode text (no lone surrogate)';
const DEPTH_ERROR = `must not nest deeper than ${MAX_JSON_DEPTH} levels`;

/**
 * The first thing in a parsed value that must not go further: a string or key holding NUL or a lone
 * surrogate such as "\ud800" (valid JSON, but PostgreSQL stores neither, in text or jsonb), or nesting deeper than any schema describes (recursive code down the line, such as
 * JSON.stringify when the gateway forwards it, would overflow the stack). Iterative, so any depth is safe.
 */
export function firstUnstorable(value: unknown): Unstorable | null {
  const stack: Array<[unknown, string, number]> = [[value, '', 0]];
  while (stack.length > 0) {
    const [current, path, depth] = stack.pop() as [unknown, string, number];
    if (typeof current === 'string') {
      const error = unstorableText(current);
      if (error) return { path, error };
    } else if (isJsonContainer(current)) {
      if (depth >= MAX_JSON_DEPTH) return { path: '', error: DEPTH_ERROR };
      for (const [key, child] of Object.entries(current)) {
        const error = unstorableText(key);
        if (error) return { path, error };
        stack.push([child, path ? `${path}.${key}` : key, depth + 1]);
      }
    }
  }
  return null;
}

function unstorableText(text: string): string | null {
  if (text.includes('\u0000')) return NUL_ERROR;
  return text.isWellFormed() ? null : SURROGATE_ERROR;
}

/**
 * Arrays and plain objects only (a parsed query's prototype is a bare object of its own): a body may
 * also be a stream (proxied as is) or a Buffer, not ours to walk.
 */
function isJsonContainer(value: unknown): value is object {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype || Object.getPrototypeOf(prototype) === null;
}

/** preValidation: refuses such input in params, query or body with a 400 naming the field, before any route reads it. */
export async function refuseUnstorable(request: FastifyRequest): Promise<void> {
  const parts: Array<[FieldLocation, unknown]> = [
    ['params', request.params],
    ['query', request.query],
    ['body', request.body],
  ];
  const errors: FieldError[] = [];
  for (const [location, value] of parts) {
    const found = firstUnstorable(value);
    if (!found) continue;
    // The gateway's proxy routes capture the whole path as the '*' param.
    const field = found.path === '*' ? 'path' : found.path || location;
    errors.push({ field, error: found.error, location });
  }
  if (errors.length > 0) throw validationError(errors);
}
