import { SCIM_SCHEMAS } from '@gatehouse/contracts';

/**
 * What a SCIM filter may name, and the SQL behind each name (over `r`, the scim_users or scim_groups
 * row). Every SQL text here is ours; only values from the filter travel as parameters.
 */

/** `text` compares as text; `textBoolean` is a JSON boolean read as text (Entra may store "True"). */
export type ValueType = 'string' | 'boolean' | 'textBoolean' | 'datetime';

export interface ScalarAttribute {
  kind: 'scalar';
  sql: string;
  type: ValueType;
  /** RFC 7643 `caseExact`: false compares lower-cased. */
  caseExact: boolean;
}

/** A multi-valued attribute: a condition on it holds when one of its elements meets it. */
export interface MultiValuedAttribute {
  kind: 'multi';
  /** `exists (…)` around a condition on the element's sub-attributes. */
  exists: (condition: string) => string;
  subAttributes: Record<string, ScalarAttribute>;
  /** A plain comparison on `attr.value` also holds when this column matches (the row's own address). */
  alsoColumn?: { sub: string; attribute: ScalarAttribute };
}

export type FilterAttribute = ScalarAttribute | MultiValuedAttribute;

const text = (sql: string, caseExact = false): ScalarAttribute => ({ kind: 'scalar', sql, type: 'string', caseExact });
const scalar = (sql: string, type: ValueType): ScalarAttribute => ({ kind: 'scalar', sql, type, caseExact: true });

/** The elements of a jsonb array in `resource` (anything else counts as no elements). */
const jsonElements = (key: string) =>
  `jsonb_array_elements(case when jsonb_typeof(r.resource->'${key}') = 'array' then r.resource->'${key}' else '[]'::jsonb end)`;

const ENTERPRISE = `r.resource->'${SCIM_SCHEMAS.enterpriseUser}'`;

const META: Record<string, FilterAttribute> = {
  id: text('r.id', true),
  'meta.created': scalar('r.created_at', 'datetime'),
  'meta.lastmodified': scalar('r.updated_at', 'datetime'),
};

const USER_ATTRIBUTES: Record<string, FilterAttribute> = {
  ...META,
  username: text('r.user_name'),
  externalid: text('r.external_id', true),
  displayname: text('r.display_name'),
  active: scalar('r.active', 'boolean'),
  'name.givenname': text('r.given_name'),
  'name.familyname': text('r.family_name'),
  'name.formatted': text(`r.resource->'name'->>'formatted'`),
  'name.middlename': text(`r.resource->'name'->>'middleName'`),
  nickname: text(`r.resource->>'nickName'`),
  title: text(`r.resource->>'title'`),
  usertype: text(`r.resource->>'userType'`),
  emails: {
    kind: 'multi',
    exists: (condition) => `exists (select 1 from ${jsonElements('emails')} e where ${condition})`,
    subAttributes: {
      value: text(`e->>'value'`),
      type: text(`e->>'type'`),
      display: text(`e->>'display'`),
      primary: scalar(`lower(e->>'primary')`, 'textBoolean'),
    },
    alsoColumn: { sub: 'value', attribute: text('r.email') },
  },
  groups: {
    kind: 'multi',
    exists: (condition) => `exists (select 1 from scim_group_members g where g.scim_user_id = r.id and ${condition})`,
    subAttributes: { value: text('g.group_id', true) },
  },
  'enterprise.employeenumber': text(`${ENTERPRISE}->>'employeeNumber'`),
  'enterprise.costcenter': text(`${ENTERPRISE}->>'costCenter'`),
  'enterprise.organization': text(`${ENTERPRISE}->>'organization'`),
  'enterprise.division': text(`${ENTERPRISE}->>'division'`),
  'enterprise.department': text(`${ENTERPRISE}->>'department'`),
};

const GROUP_ATTRIBUTES: Record<string, FilterAttribute> = {
  ...META,
  displayname: text('r.display_name'),
  externalid: text('r.external_id', true),
  members: {
    kind: 'multi',
    // A tombstoned user is no longer anyone's member.
    exists: (condition) =>
      `exists (select 1 from scim_group_members m join scim_users u on u.id = m.scim_user_id and u.deleted_at is null where m.group_id = r.id and ${condition})`,
    subAttributes: { value: text('m.scim_user_id', true) },
  },
};

const CORE_PREFIX = { users: `${SCIM_SCHEMAS.user}:`, groups: `${SCIM_SCHEMAS.group}:` } as const;
const ENTERPRISE_PREFIX = `${SCIM_SCHEMAS.enterpriseUser}:`.toLowerCase();

/**
 * The catalog key for an attribute path as a client wrote it: names compare case-insensitively
 * (RFC 7644 §3.10) and may carry their schema's URN.
 */
export function attributeKey(kind: 'users' | 'groups', path: string): string {
  const lower = path.toLowerCase();
  const core = CORE_PREFIX[kind].toLowerCase();
  if (lower.startsWith(core)) return lower.slice(core.length);
  if (kind === 'users' && lower.startsWith(ENTERPRISE_PREFIX))
    return `enterprise.${lower.slice(ENTERPRISE_PREFIX.length)}`;
  return lower;
}

export function filterAttributes(kind: 'users' | 'groups'): Record<string, FilterAttribute> {
  return kind === 'users' ? USER_ATTRIBUTES : GROUP_ATTRIBUTES;
}
