import type { TSchema } from 'typebox';
import type { JsonSchema } from './json-schema.js';

/** Turns a contract's TypeBox schema into the document's JSON Schema. */
export type ToJsonSchema = (schema: TSchema) => JsonSchema;

const isObjectSchema = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  (value as { type?: unknown }).type === 'object';

/**
 * The object schemas the contract modules export by name (`Project`, `User`, `OAuthApp`…) become
 * components.schemas, and every use of one (the same object) a `$ref`: the document says once what
 * a Project is, and the SDK gets `components['schemas']['Project']`. Path parameters are not named
 * (they are split into parameters).
 */
export class NamedSchemas {
  private readonly names = new Map<object, string>();
  private readonly used = new Map<string, JsonSchema>();

  constructor(exports: Record<string, unknown>) {
    for (const name of Object.keys(exports).sort()) {
      const value = exports[name];
      if (!/^[A-Z]/.test(name) || name.endsWith('Params') || !isObjectSchema(value)) continue;
      if (!this.names.has(value)) this.names.set(value, name);
    }
  }

  readonly toJson: ToJsonSchema = (schema) => this.walk(schema) as JsonSchema;

  /** The named schemas the document uses, by name (sorted, so the document is stable). */
  components(): Record<string, JsonSchema> {
    return Object.fromEntries([...this.used].sort(([a], [b]) => a.localeCompare(b)));
  }

  private walk(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.walk(item));
    if (typeof value !== 'object' || value === null) return value;
    const name = this.names.get(value);
    if (name === undefined) return this.plain(value as Record<string, unknown>);
    if (!this.used.has(name)) {
      this.used.set(name, {}); // a schema that refers to itself stops here
      this.used.set(name, this.plain(value as Record<string, unknown>));
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  /** Own enumerable data members only: what JSON.stringify would write. */
  private plain(value: Record<string, unknown>): JsonSchema {
    const out: JsonSchema = {};
    for (const key of Object.keys(value)) {
      const member = value[key];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      out[key] = this.walk(member);
    }
    return out;
  }
}
