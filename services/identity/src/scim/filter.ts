import {
  attributeKey,
  filterAttributes,
  type MultiValuedAttribute,
  type ScalarAttribute,
} from './filter-attributes.js';
import type { Compare, Filter, Suffix } from './filter-parse.js';
import { parseScimFilter } from './filter-parse.js';
import { ScimError } from './protocol.js';

/** A SQL boolean expression over alias `r` with `?` placeholders (em.execute style). */
export interface FilterSql {
  sql: string;
  params: unknown[];
}

/**
 * Compiles a SCIM filter (RFC 7644 §3.4.2.2) into SQL over scim_users r / scim_groups r. Values are
 * always parameters; a name or operator the catalog does not know is 400 invalidFilter, so nothing a
 * client writes reaches the SQL text.
 */
export function scimFilterSql(kind: 'users' | 'groups', filter: string): FilterSql {
  const params: unknown[] = [];
  const sql = compile(parseScimFilter(filter), rootScope(kind), params);
  return { sql, params };
}

/** How attribute names resolve where a condition stands: at the top, or inside `attr[…]`. */
interface Scope {
  resolve(path: string): Resolved;
  /** Only the top level may open `attr[…]` (RFC 7644 does not nest value filters). */
  nested: boolean;
  kind: 'users' | 'groups';
}

type Resolved =
  | { kind: 'scalar'; attribute: ScalarAttribute }
  | { kind: 'multi'; attribute: MultiValuedAttribute; sub: string };

/** Deeper than any IdP writes; PostgreSQL's own stack is not for a client to probe. */
const MAX_DEPTH = 32;

function compile(node: Filter, scope: Scope, params: unknown[], depth = 0): string {
  if (depth > MAX_DEPTH) throw invalidFilter(`The filter nests deeper than ${MAX_DEPTH} levels`);
  switch (node.op) {
    case 'and':
    case 'or':
      return `(${node.filters.map((child) => compile(child, scope, params, depth + 1)).join(` ${node.op} `)})`;
    case 'not':
      // A missing value makes a comparison null; `not` of it must hold, as SCIM means "not matched".
      return `(not coalesce(${compile(node.filter, scope, params, depth + 1)}, false))`;
    case '[]':
      return valueFilter(node.attrPath, node.valFilter, scope, params, depth);
    default:
      return condition(node, scope, params);
  }
}

function valueFilter(path: string, inner: Filter, scope: Scope, params: unknown[], depth: number): string {
  if (scope.nested) throw invalidFilter(`${path}[…] cannot stand inside another value filter`);
  const key = attributeKey(scope.kind, path);
  const catalog = filterAttributes(scope.kind);
  const attribute = catalog[key];
  if (attribute?.kind === 'multi')
    return attribute.exists(compile(inner, elementScope(scope.kind, key, attribute), params));
  // A single-valued complex attribute: `name[givenName eq "Ada"]` is `name.givenName eq "Ada"`.
  if (!attribute && Object.keys(catalog).some((name) => name.startsWith(`${key}.`))) {
    return compile(inner, prefixedScope(scope.kind, key), params, depth + 1);
  }
  throw unknownAttribute(path);
}

function condition(node: Compare | Suffix, scope: Scope, params: unknown[]): string {
  const resolved = scope.resolve(node.attrPath);
  const value = node.op === 'pr' ? undefined : node.compValue;
  if (resolved.kind === 'scalar') return compare(resolved.attribute, node.op, value, node.attrPath, params);
  const { attribute, sub } = resolved;
  const element = attribute.subAttributes[sub];
  if (!element) throw unknownAttribute(node.attrPath);
  // `emails.value ne "x"`: no address is "x" (not: some address is not "x").
  const op = node.op === 'ne' ? 'eq' : node.op;
  const parts = [attribute.exists(compare(element, op, value, node.attrPath, params))];
  if (attribute.alsoColumn?.sub === sub && op !== 'pr') {
    parts.push(compare(attribute.alsoColumn.attribute, op, value, node.attrPath, params));
  }
  const any = parts.length === 1 ? parts[0] : `(${parts.join(' or ')})`;
  return node.op === 'ne' ? `(not coalesce(${any}, false))` : (any as string);
}

function rootScope(kind: 'users' | 'groups'): Scope {
  const catalog = filterAttributes(kind);
  return {
    kind,
    nested: false,
    resolve(path) {
      const key = attributeKey(kind, path);
      const direct = catalog[key];
      if (direct?.kind === 'scalar') return { kind: 'scalar', attribute: direct };
      // A multi-valued attribute compared as a whole compares its `value` (RFC 7644 §3.4.2.2).
      if (direct?.kind === 'multi') return { kind: 'multi', attribute: direct, sub: 'value' };
      const dot = key.indexOf('.');
      const parent = dot > 0 ? catalog[key.slice(0, dot)] : undefined;
      if (parent?.kind === 'multi') return { kind: 'multi', attribute: parent, sub: key.slice(dot + 1) };
      throw unknownAttribute(path);
    },
  };
}

function elementScope(kind: 'users' | 'groups', name: string, attribute: MultiValuedAttribute): Scope {
  return {
    kind,
    nested: true,
    resolve(path) {
      const key = attributeKey(kind, path);
      const sub = key.startsWith(`${name}.`) ? key.slice(name.length + 1) : key;
      const element = attribute.subAttributes[sub];
      if (!element) throw unknownAttribute(path);
      return { kind: 'scalar', attribute: element };
    },
  };
}

function prefixedScope(kind: 'users' | 'groups', prefix: string): Scope {
  const root = rootScope(kind);
  return { kind, nested: true, resolve: (path) => root.resolve(`${prefix}.${path}`) };
}

type Value = Compare['compValue'] | undefined;

/** One comparison on one scalar; `?` placeholders, values pushed onto `params` in order. */
function compare(
  attribute: ScalarAttribute,
  op: Compare['op'] | 'pr',
  value: Value,
  path: string,
  params: unknown[],
): string {
  const { sql } = attribute;
  if (op === 'pr')
    return attribute.type === 'string' ? `(${sql} is not null and ${sql} <> '')` : `(${sql} is not null)`;
  if (value === null) {
    // `eq null` asks for a missing value (RFC 7644 §3.4.2.2 treats null as unassigned).
    if (op === 'eq') return `(${sql} is null)`;
    if (op === 'ne') return `(${sql} is not null)`;
    throw invalidFilter(`${path} ${op} null is not a comparison`);
  }
  switch (attribute.type) {
    case 'string':
      return compareText(attribute, op, value, path, params);
    case 'boolean':
    case 'textBoolean':
      return compareBoolean(attribute, op, value, path, params);
    case 'datetime':
      return compareDate(sql, op, value, path, params);
  }
}

const ORDERING: Record<string, string> = { gt: '>', ge: '>=', lt: '<', le: '<=' };

function compareText(
  attribute: ScalarAttribute,
  op: Compare['op'],
  value: Value,
  path: string,
  params: unknown[],
): string {
  if (typeof value !== 'string') throw invalidFilter(`${path} compares with a string`);
  const column = attribute.caseExact ? attribute.sql : `lower(${attribute.sql})`;
  const placeholder = attribute.caseExact ? '?' : 'lower(?)';
  const like = (pattern: string) => {
    params.push(pattern);
    return `(${column} like ${placeholder} escape '\\')`;
  };
  switch (op) {
    case 'eq':
      params.push(value);
      return `(${column} = ${placeholder})`;
    case 'ne':
      params.push(value);
      return `(not coalesce(${column} = ${placeholder}, false))`;
    case 'co':
      return like(`%${escapeLike(value)}%`);
    case 'sw':
      return like(`${escapeLike(value)}%`);
    case 'ew':
      return like(`%${escapeLike(value)}`);
    default:
      params.push(value);
      return `(${column} ${ORDERING[op]} ${placeholder})`;
  }
}

function compareBoolean(
  attribute: ScalarAttribute,
  op: Compare['op'],
  value: Value,
  path: string,
  params: unknown[],
): string {
  if (op !== 'eq' && op !== 'ne') throw invalidFilter(`${path} is a boolean: only eq, ne and pr apply`);
  const wanted = booleanValue(value, path);
  params.push(attribute.type === 'textBoolean' ? String(wanted) : wanted);
  const equal = `${attribute.sql} = ?`;
  return op === 'eq' ? `(${equal})` : `(not coalesce(${equal}, false))`;
}

function booleanValue(value: Value, path: string): boolean {
  if (typeof value === 'boolean') return value;
  // Entra ID writes booleans as strings elsewhere; a filter `active eq "True"` means the same.
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw invalidFilter(`${path} compares with true or false`);
}

function compareDate(sql: string, op: Compare['op'], value: Value, path: string, params: unknown[]): string {
  const at = typeof value === 'string' ? new Date(value) : null;
  // Years 1 to 9999: what JavaScript reads beyond that, PostgreSQL refuses (a 500, not the client's 400).
  const year = at?.getUTCFullYear() ?? Number.NaN;
  if (!at || Number.isNaN(at.getTime()) || year < 1 || year > 9999) {
    throw invalidFilter(`${path} compares with a date-time (RFC 3339)`);
  }
  if (op === 'co' || op === 'sw' || op === 'ew') throw invalidFilter(`${path} is a date-time: ${op} does not apply`);
  params.push(at);
  if (op === 'eq') return `(${sql} = ?)`;
  if (op === 'ne') return `(not coalesce(${sql} = ?, false))`;
  return `(${sql} ${ORDERING[op]} ?)`;
}

/** LIKE's own characters (and its escape) match themselves. */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

const invalidFilter = (detail: string) => new ScimError(400, detail, 'invalidFilter');
const unknownAttribute = (path: string) => invalidFilter(`${path} is not an attribute this filter can use`);
