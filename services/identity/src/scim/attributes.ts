import { SCIM_SCHEMAS } from '@gatehouse/contracts';

/** Returned whatever is asked (RFC 7643 §7 `returned: "always"`). */
const ALWAYS = ['id', 'schemas', 'meta'];
const CORE_PREFIXES = [SCIM_SCHEMAS.user, SCIM_SCHEMAS.group].map((urn) => `${urn.toLowerCase()}:`);
const EXTENSION_URNS = [SCIM_SCHEMAS.enterpriseUser];

/**
 * RFC 7644 §3.9 `attributes` (only these, plus the always-returned ones) and `excludedAttributes`
 * (all but these), on an answer about to be sent: `excludedAttributes=members` spares a client a
 * 5,000-member group. Names compare case-insensitively; `name.givenName` and URN-prefixed names work.
 * When both are sent, `attributes` decides.
 */
export function projectAttributes<T extends Record<string, unknown>>(
  resource: T,
  query: { attributes?: string; excludedAttributes?: string },
): Partial<T> {
  const wanted = paths(query.attributes);
  if (wanted.length > 0) return keepOnly(resource, wanted) as Partial<T>;
  const excluded = paths(query.excludedAttributes);
  if (excluded.length === 0) return resource;
  const copy = structuredClone(resource) as Record<string, unknown>;
  for (const path of excluded) {
    if (path.length === 1 && ALWAYS.includes(path[0] as string)) continue;
    remove(copy, path);
  }
  return copy as Partial<T>;
}

/** "userName, name.givenName, urn:…:enterprise:2.0:User:department" → [[username], [name, givenname], [urn…, department]]. */
function paths(list: string | undefined): string[][] {
  if (!list) return [];
  return list
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map(splitPath);
}

function splitPath(item: string): string[] {
  const lower = item.toLowerCase();
  const core = CORE_PREFIXES.find((prefix) => lower.startsWith(prefix));
  if (core) return lower.slice(core.length).split('.');
  const extension = EXTENSION_URNS.find(
    (urn) => lower === urn.toLowerCase() || lower.startsWith(`${urn.toLowerCase()}:`),
  );
  if (extension) {
    const rest = lower.slice(extension.length + 1);
    return [extension.toLowerCase(), ...(rest ? rest.split('.') : [])];
  }
  return lower.split('.');
}

function keyOf(object: Record<string, unknown>, lowerName: string): string | undefined {
  return Object.keys(object).find((key) => key.toLowerCase() === lowerName);
}

function keepOnly(resource: Record<string, unknown>, wanted: string[][]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const name of ALWAYS) if (name in resource) result[name] = resource[name];
  for (const path of wanted) copyPath(resource, result, path);
  return result;
}

function copyPath(from: Record<string, unknown>, to: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  const key = head === undefined ? undefined : keyOf(from, head);
  if (key === undefined) return;
  const value = from[key];
  if (rest.length === 0 || value === null || typeof value !== 'object') {
    to[key] = structuredClone(value);
    return;
  }
  if (Array.isArray(value)) {
    // `emails.value`: each element with only that sub-attribute.
    const existing = Array.isArray(to[key]) ? (to[key] as Record<string, unknown>[]) : value.map(() => ({}));
    value.forEach((element, index) => {
      if (element && typeof element === 'object')
        copyPath(element as Record<string, unknown>, existing[index] ?? {}, rest);
    });
    to[key] = existing;
    return;
  }
  const target = to[key] && typeof to[key] === 'object' ? (to[key] as Record<string, unknown>) : {};
  copyPath(value as Record<string, unknown>, target, rest);
  to[key] = target;
}

function remove(object: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path;
  const key = head === undefined ? undefined : keyOf(object, head);
  if (key === undefined) return;
  if (rest.length === 0) {
    delete object[key];
    return;
  }
  const value = object[key];
  const children = Array.isArray(value) ? value : [value];
  for (const child of children) {
    if (child && typeof child === 'object' && !Array.isArray(child)) remove(child as Record<string, unknown>, rest);
  }
}
