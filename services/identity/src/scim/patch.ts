import { SCIM_SCHEMAS } from '@gatehouse/contracts';
import {
  InvalidScimPatchOp,
  InvalidScimRemoveValue,
  type ScimPatchOperation as LibraryOperation,
  NoPathInScimPatchOp,
  NoTarget,
  type ScimResource,
  scimPatch,
} from 'scim-patch';
import { canonicalName, canonicalPath, isExtensionPath, isRecord } from './patch-paths.js';
import { ScimError } from './protocol.js';

const ENTERPRISE_USER = SCIM_SCHEMAS.enterpriseUser;

export interface ScimPatchOperation {
  op: string;
  path?: string;
  value?: unknown;
}

type Op = 'add' | 'remove' | 'replace';
interface Operation {
  op: Op;
  path: string;
  value?: unknown;
}

/**
 * Applies RFC 7644 §3.5.2 operations to a copy of `resource` with scim-patch, after making them what
 * the library expects: `op` in any case (Entra sends "Add"), a path-less add or replace split into one
 * operation per attribute (dotted and URN-prefixed keys included), names in their stored spelling.
 * Multi-valued items compare by `value` where they have one, so a retried add changes nothing and
 * `remove members` with `[{value}]` removes that member whatever else the stored item holds.
 * `id` and `meta` are the server's and stay as they are. Boolean strings ("False") are left for the
 * caller (scimBoolean).
 */
export function applyScimPatch<T extends Record<string, unknown>>(resource: T, operations: ScimPatchOperation[]): T {
  let patched = structuredClone(resource) as Record<string, unknown>;
  for (const operation of operations) {
    for (const step of expand(operation)) patched = applyOne(patched, step);
  }
  return patched as T;
}

function expand(operation: ScimPatchOperation): Operation[] {
  const op = operation.op?.toLowerCase();
  if (op !== 'add' && op !== 'remove' && op !== 'replace') {
    throw new ScimError(400, `${String(operation.op)} is not a PATCH operation`, 'invalidSyntax');
  }
  if (operation.path === undefined || operation.path === '') {
    if (op === 'remove') throw new ScimError(400, 'A remove needs a path', 'noTarget');
    if (!isRecord(operation.value)) {
      throw new ScimError(400, `An ${op} without a path needs an object of attributes as its value`, 'invalidValue');
    }
    return attributesOf(op, operation.value);
  }
  // The extension as a whole: one operation per attribute inside it.
  if (isExtensionPath(operation.path) && op !== 'remove' && isRecord(operation.value)) {
    return attributesOf(op, operation.value).map((step) => ({ ...step, path: `${operation.path}:${step.path}` }));
  }
  if (op !== 'remove' && !('value' in operation)) {
    throw new ScimError(400, `An ${op} needs a value`, 'invalidValue');
  }
  return [{ op, path: operation.path, value: operation.value }];
}

/** `{displayName: "x", "name.givenName": "y", "urn:…:enterprise:2.0:User": {…}}` → one step each. */
function attributesOf(op: Op, value: Record<string, unknown>): Operation[] {
  return Object.entries(value).flatMap(([key, inner]) => {
    if (isExtensionPath(key) && isRecord(inner)) {
      return Object.entries(inner).map(([sub, subValue]) => ({ op, path: `${key}:${sub}`, value: subValue }));
    }
    return [{ op, path: key, value: inner }];
  });
}

/** The server's own attributes: Okta's rename sends `id` back in the value map; it changes nothing. */
const SERVER_OWNED = /^(id|meta)(\.|\[|$)/i;

function applyOne(resource: Record<string, unknown>, step: Operation): Record<string, unknown> {
  const path = canonicalPath(step.path, resource);
  if (SERVER_OWNED.test(path)) return resource;
  // A plain multi-valued attribute (`members`, `emails`): added or removed item by item, by `value`.
  const plain = /^[^.[\]:]+$/.test(path) ? path : null;
  if (plain && Array.isArray(resource[plain]) && step.op !== 'replace') {
    if (step.op === 'add') return addItems(resource, plain, step.value);
    if (step.value !== undefined) return removeItems(resource, plain, step.value);
  }
  if (plain && resource[plain] === undefined && step.op === 'add' && Array.isArray(step.value)) {
    return addItems(resource, plain, step.value);
  }
  if (step.op === 'remove' && removesFromMissingArray(resource, path)) return resource;
  const extensionAttribute = enterpriseAttributeOf(path);
  if (extensionAttribute) return patchEnterpriseAttribute(resource, extensionAttribute, step);
  try {
    const operation = { op: step.op, path, value: step.value } as LibraryOperation;
    return scimPatch(resource as unknown as ScimResource, [operation], {
      mutateDocument: true,
      treatMissingAsAdd: true,
    }) as unknown as Record<string, unknown>;
  } catch (error) {
    throw asScimError(error, step.path);
  }
}

/** `urn:…:enterprise:2.0:User:manager` → `manager`: one plain attribute of the enterprise extension. */
function enterpriseAttributeOf(path: string): string | null {
  const prefix = `${ENTERPRISE_USER}:`;
  if (!path.startsWith(prefix)) return null;
  const name = path.slice(prefix.length);
  return /^[A-Za-z][A-Za-z0-9_-]*$/.test(name) ? name : null;
}

/**
 * Set or remove one attribute of the enterprise extension, creating the extension when absent (the
 * library refuses a path under an object the user does not have yet). Entra sends the manager as the
 * bare id: stored as the reference it stands for, `{value}`.
 */
function patchEnterpriseAttribute(resource: Record<string, unknown>, name: string, step: Operation) {
  const extension = isRecord(resource[ENTERPRISE_USER]) ? { ...(resource[ENTERPRISE_USER] as object) } : {};
  const attributes = extension as Record<string, unknown>;
  if (step.op === 'remove') delete attributes[name];
  else attributes[name] = name === 'manager' && typeof step.value === 'string' ? { value: step.value } : step.value;
  if (Object.keys(attributes).length === 0) delete resource[ENTERPRISE_USER];
  else resource[ENTERPRISE_USER] = attributes;
  return resource;
}

function addItems(resource: Record<string, unknown>, name: string, value: unknown): Record<string, unknown> {
  const current = Array.isArray(resource[name]) ? [...(resource[name] as unknown[])] : [];
  for (const item of Array.isArray(value) ? value : [value]) {
    if (!current.some((existing) => sameItem(existing, item))) current.push(item);
  }
  resource[name] = current;
  return resource;
}

function removeItems(resource: Record<string, unknown>, name: string, value: unknown): Record<string, unknown> {
  const gone = Array.isArray(value) ? value : [value];
  const kept = (resource[name] as unknown[]).filter((existing) => !gone.some((item) => sameItem(existing, item)));
  // RFC 7644 §3.5.2.2: a multi-valued attribute left with nothing is unassigned.
  if (kept.length === 0) delete resource[name];
  else resource[name] = kept;
  return resource;
}

/** `members[value eq "x"]` when the group has no members: nothing to remove, and a retry must not fail. */
function removesFromMissingArray(resource: Record<string, unknown>, path: string): boolean {
  const bracket = path.indexOf('[');
  if (bracket <= 0 || path.includes(':')) return false;
  return !Array.isArray(resource[canonicalName(path.slice(0, bracket), resource)]);
}

/** Items with a `value` are the same item when their values are; others when they are equal. */
function sameItem(left: unknown, right: unknown): boolean {
  if (isRecord(left) && isRecord(right) && 'value' in left && 'value' in right) return left.value === right.value;
  return JSON.stringify(left) === JSON.stringify(right);
}

function asScimError(error: unknown, path: string): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof NoTarget) return new ScimError(400, `Nothing matches ${path}`, 'noTarget');
  if (error instanceof NoPathInScimPatchOp) return new ScimError(400, 'A remove needs a path', 'noTarget');
  if (error instanceof InvalidScimRemoveValue)
    return new ScimError(400, `Cannot remove that value from ${path}`, 'invalidValue');
  if (error instanceof InvalidScimPatchOp) return new ScimError(400, `${path} is not a valid path here`, 'invalidPath');
  // Anything else the library trips on is still the request's shape, never a 500.
  return new ScimError(400, `Cannot apply the operation on ${path}`, 'invalidValue');
}
