import type { TSchema } from 'typebox';

/** A JSON Schema (2020-12, what OpenAPI 3.1 uses) as plain data. */
export type JsonSchema = Record<string, unknown>;

/**
 * A TypeBox schema as plain JSON Schema: TypeBox 1.x schemas already are JSON Schema 2020-12; a JSON
 * round trip drops anything that is not data (symbols, functions), so the document is exactly what
 * `JSON.stringify` will write.
 */
export function toJsonSchema(schema: TSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

export interface ObjectMember {
  name: string;
  schema: JsonSchema;
  /** Required and without a default: the caller must send it. */
  required: boolean;
}

/** The properties of an object schema, one by one (path, query and header parameters are declared so). */
export function objectMembers(schema: TSchema | undefined): ObjectMember[] {
  if (!schema) return [];
  const json = toJsonSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, member]) => ({
    name,
    schema: member,
    required: required.has(name) && !('default' in member),
  }));
}
