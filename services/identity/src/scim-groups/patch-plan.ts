import { SCIM_MAX_GROUP_MEMBERS, SCIM_SCHEMAS } from '@gatehouse/contracts';
import { type Filter, parse } from 'scim2-parse-filter';
import type { ScimPatchOperation } from '../scim/patch.js';
import { ScimError } from '../scim/protocol.js';

/**
 * A Group PATCH split in two: what it does to the members, reduced to one set difference (or one
 * replacement) applied in bulk SQL, and the operations on every other attribute, left to the patch
 * engine. Operations apply in order (RFC 7644 §3.5.2), so a later one refines an earlier one.
 */
export interface MemberPlan {
  /** Set: the members become exactly these (a `replace`, or a `remove` of them all, came first). */
  replace: Set<string> | null;
  add: Set<string>;
  remove: Set<string>;
}

export interface GroupPatchPlan {
  members: MemberPlan;
  attributes: ScimPatchOperation[];
}

const GROUP_URN = `${SCIM_SCHEMAS.group}:`;
/** Read-only attributes a client echoes back in a path-less replace (Okta sends the group's id): ignored. */
const READ_ONLY = new Set(['id', 'meta', 'schemas']);

export function planGroupPatch(operations: readonly ScimPatchOperation[]): GroupPatchPlan {
  const plan: GroupPatchPlan = { members: { replace: null, add: new Set(), remove: new Set() }, attributes: [] };
  for (const operation of operations) {
    const op = operation.op.toLowerCase();
    if (op !== 'add' && op !== 'remove' && op !== 'replace') {
      throw new ScimError(400, `Unknown PATCH op "${operation.op}"`, 'invalidSyntax');
    }
    const path = operation.path === undefined ? undefined : withoutUrn(operation.path.trim());
    if (path === undefined) planWithoutPath(plan, op, operation.value);
    else if (/^members(\[|$)/i.test(path)) planMembers(plan.members, op, path, operation.value);
    else if (/^members\./i.test(path))
      throw new ScimError(400, `Members have no attribute to change: ${path}`, 'invalidPath');
    else plan.attributes.push({ op, path, ...('value' in operation && { value: operation.value }) });
  }
  const named = plan.members.add.size + plan.members.remove.size + (plan.members.replace?.size ?? 0);
  if (named > SCIM_MAX_GROUP_MEMBERS) {
    throw new ScimError(400, `A PATCH may name at most ${SCIM_MAX_GROUP_MEMBERS} members`, 'invalidValue');
  }
  return plan;
}

function withoutUrn(path: string): string {
  return path.toLowerCase().startsWith(GROUP_URN.toLowerCase()) ? path.slice(GROUP_URN.length) : path;
}

/** No path: `value` is a map of attributes (Okta's rename; Entra's replace), `members` among them maybe. */
function planWithoutPath(plan: GroupPatchPlan, op: string, value: unknown) {
  if (op === 'remove') throw new ScimError(400, 'A remove needs a path', 'noTarget');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ScimError(400, 'Without a path, value must be an object of attributes', 'invalidValue');
  }
  const rest: Record<string, unknown> = {};
  for (const [key, attribute] of Object.entries(value)) {
    const name = withoutUrn(key);
    if (name.toLowerCase() === 'members') planMembers(plan.members, op, 'members', attribute);
    else if (!READ_ONLY.has(name.toLowerCase())) rest[name] = attribute;
  }
  if (Object.keys(rest).length > 0) plan.attributes.push({ op, value: rest });
}

function planMembers(members: MemberPlan, op: string, path: string, value: unknown) {
  if (path.toLowerCase() === 'members') {
    if (op === 'remove' && value === undefined) {
      // Every member goes (RFC 7644 §3.5.2.2); what follows adds to an empty group.
      setMembers(members, []);
    } else if (op === 'replace') setMembers(members, memberIds(value));
    else if (op === 'add') addIds(members, memberIds(value));
    // Entra's removal: `{"op":"Remove","path":"members","value":[{"value":"id"}]}` takes those out only.
    else removeIds(members, memberIds(value));
    return;
  }
  if (op !== 'remove') {
    throw new ScimError(400, `${op} of ${path}: only a remove may target members by filter`, 'invalidPath');
  }
  removeIds(members, filteredIds(path));
}

function setMembers(members: MemberPlan, ids: string[]) {
  members.replace = new Set(ids);
  members.add.clear();
  members.remove.clear();
}

function addIds(members: MemberPlan, ids: string[]) {
  for (const id of ids) {
    if (members.replace) members.replace.add(id);
    else {
      members.add.add(id);
      members.remove.delete(id);
    }
  }
}

function removeIds(members: MemberPlan, ids: string[]) {
  for (const id of ids) {
    if (members.replace) members.replace.delete(id);
    else {
      members.remove.add(id);
      members.add.delete(id);
    }
  }
}

/** `[{value: "id"}, …]` (Entra adds `$ref: null`, Okta `display`), or one such object. */
function memberIds(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return items.map((item, index) => {
    const id = (item as { value?: unknown } | null)?.value;
    if (typeof id !== 'string' || id.length === 0 || id.length > 255) {
      throw new ScimError(400, `members[${index}].value must be a user's id`, 'invalidValue');
    }
    return id;
  });
}

/** `members[value eq "id"]`, or several ids joined by `or`: the ids it names. */
function filteredIds(path: string): string[] {
  const match = /^members\[(.+)\]$/is.exec(path);
  if (!match) throw new ScimError(400, `Unsupported path: ${path}`, 'invalidPath');
  let filter: Filter;
  try {
    filter = parse(match[1] as string);
  } catch {
    throw new ScimError(400, `Cannot parse the filter in ${path}`, 'invalidFilter');
  }
  return idsIn(filter, path);
}

function idsIn(filter: Filter, path: string): string[] {
  if (filter.op === 'or') return filter.filters.flatMap((inner) => idsIn(inner, path));
  if (filter.op === 'eq' && filter.attrPath.toLowerCase() === 'value' && typeof filter.compValue === 'string') {
    return [filter.compValue];
  }
  throw new ScimError(400, `Members are chosen by value eq "id" (or several joined by or): ${path}`, 'invalidFilter');
}
