import { SCIM_SCHEMAS } from '@gatehouse/contracts';

/**
 * The schema definitions /scim/v2/Schemas answers (RFC 7643 §7, §8.7.1): what Gatehouse stores and
 * answers of a User, the enterprise extension and a Group. IdPs read them to map attributes.
 */

type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
type Returned = 'always' | 'never' | 'default' | 'request';

interface AttributeOptions {
  required?: boolean;
  caseExact?: boolean;
  mutability?: Mutability;
  returned?: Returned;
  uniqueness?: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
}

export interface SchemaAttribute {
  name: string;
  type: 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex' | 'binary';
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: 'none' | 'server' | 'global';
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: SchemaAttribute[];
}

function attribute(
  name: string,
  type: SchemaAttribute['type'],
  description: string,
  options: AttributeOptions & { multiValued?: boolean; subAttributes?: SchemaAttribute[] } = {},
): SchemaAttribute {
  const { multiValued = false, subAttributes, ...rest } = options;
  return {
    name,
    type,
    multiValued,
    description,
    required: rest.required ?? false,
    caseExact: rest.caseExact ?? false,
    mutability: rest.mutability ?? 'readWrite',
    returned: rest.returned ?? 'default',
    uniqueness: rest.uniqueness ?? 'none',
    ...(rest.canonicalValues && { canonicalValues: rest.canonicalValues }),
    ...(rest.referenceTypes && { referenceTypes: rest.referenceTypes }),
    ...(type === 'complex' && { subAttributes: subAttributes ?? [] }),
  };
}

const text = (name: string, description: string, options: AttributeOptions = {}) =>
  attribute(name, 'string', description, options);

/** value, display, type and primary: the shape of emails, phone numbers and their kin. */
function multiValued(name: string, description: string, types: string[]): SchemaAttribute {
  return attribute(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      text('value', `The ${name} value.`),
      text('display', 'A human-readable name, primarily used for display purposes.'),
      text('type', 'A label indicating the function of the value.', { canonicalValues: types }),
      attribute('primary', 'boolean', 'Indicates the primary or preferred value.'),
    ],
  });
}

const USER_ATTRIBUTES: SchemaAttribute[] = [
  text('userName', 'Unique identifier for the User, typically their email address. Unique per directory.', {
    required: true,
    uniqueness: 'server',
  }),
  attribute('name', 'complex', "The components of the user's real name.", {
    subAttributes: [
      text('formatted', 'The full name, formatted for display.'),
      text('familyName', 'The family name of the User.'),
      text('givenName', 'The given name of the User.'),
      text('middleName', 'The middle name(s) of the User.'),
      text('honorificPrefix', 'The honorific prefix(es) of the User.'),
      text('honorificSuffix', 'The honorific suffix(es) of the User.'),
    ],
  }),
  text('displayName', 'The name of the User, suitable for display to end-users.'),
  text('nickName', 'The casual way to address the user.'),
  attribute('profileUrl', 'reference', "A URI of the User's online profile.", { referenceTypes: ['external'] }),
  text('title', "The user's title, such as 'Vice President'."),
  text('userType', 'The relationship between the organization and the user.'),
  text('preferredLanguage', "The User's preferred written or spoken language."),
  text('locale', "The User's default location for localizing values."),
  text('timezone', "The User's time zone in the 'Olson' time zone database format."),
  attribute('active', 'boolean', "The User's administrative status: false deprovisions the person at once."),
  text('password', 'Accepted and ignored: Gatehouse accounts sign in with their own credentials.', {
    mutability: 'writeOnly',
    returned: 'never',
  }),
  multiValued('emails', 'Email addresses for the user; one must be in a verified domain of the organization.', [
    'work',
    'home',
    'other',
  ]),
  multiValued('phoneNumbers', 'Phone numbers for the User.', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  attribute('addresses', 'complex', 'A physical mailing address for this User.', {
    multiValued: true,
    subAttributes: [
      text('formatted', 'The full mailing address, formatted for display.'),
      text('streetAddress', 'The full street address component.'),
      text('locality', 'The city or locality component.'),
      text('region', 'The state or region component.'),
      text('postalCode', 'The zip code or postal code component.'),
      text('country', 'The country name component.'),
      text('type', 'A label indicating the function of the address.', { canonicalValues: ['work', 'home', 'other'] }),
      attribute('primary', 'boolean', 'Indicates the primary mailing address.'),
    ],
  }),
  attribute('groups', 'complex', 'The groups the user belongs to (managed through the Group resource).', {
    multiValued: true,
    mutability: 'readOnly',
    subAttributes: [
      text('value', 'The identifier of the group.', { mutability: 'readOnly' }),
      attribute('$ref', 'reference', 'The URI of the group.', { mutability: 'readOnly', referenceTypes: ['Group'] }),
      text('display', 'The display name of the group.', { mutability: 'readOnly' }),
      text('type', 'How the membership is derived.', { mutability: 'readOnly', canonicalValues: ['direct'] }),
    ],
  }),
];

const ENTERPRISE_ATTRIBUTES: SchemaAttribute[] = [
  text('employeeNumber', 'A string identifier assigned to a person by the organization.'),
  text('costCenter', 'Identifies the name of a cost center.'),
  text('organization', 'Identifies the name of an organization.'),
  text('division', 'Identifies the name of a division.'),
  text('department', 'Identifies the name of a department.'),
  attribute('manager', 'complex', "The User's manager.", {
    subAttributes: [
      text('value', 'The id of the manager.'),
      attribute('$ref', 'reference', 'The URI of the manager.', { referenceTypes: ['User'] }),
      text('displayName', 'The display name of the manager.', { mutability: 'readOnly' }),
    ],
  }),
];

const GROUP_ATTRIBUTES: SchemaAttribute[] = [
  text('displayName', 'A human-readable name for the Group; role mappings match it case-insensitively.', {
    required: true,
    uniqueness: 'server',
  }),
  attribute('members', 'complex', 'A list of members of the Group (users of this directory).', {
    multiValued: true,
    subAttributes: [
      text('value', 'The id of the member.', { mutability: 'immutable' }),
      attribute('$ref', 'reference', 'The URI of the member.', { mutability: 'immutable', referenceTypes: ['User'] }),
      text('display', 'The display name of the member.', { mutability: 'immutable' }),
      text('type', 'The type of the member.', { mutability: 'immutable', canonicalValues: ['User'] }),
    ],
  }),
];

export interface SchemaDefinition {
  id: string;
  name: string;
  description: string;
  attributes: SchemaAttribute[];
}

export const SCHEMA_DEFINITIONS: SchemaDefinition[] = [
  { id: SCIM_SCHEMAS.user, name: 'User', description: 'User Account', attributes: USER_ATTRIBUTES },
  {
    id: SCIM_SCHEMAS.enterpriseUser,
    name: 'EnterpriseUser',
    description: 'Enterprise User',
    attributes: ENTERPRISE_ATTRIBUTES,
  },
  { id: SCIM_SCHEMAS.group, name: 'Group', description: 'Group', attributes: GROUP_ATTRIBUTES },
];

export interface ResourceTypeDefinition {
  id: string;
  name: string;
  endpoint: string;
  description: string;
  schema: string;
  schemaExtensions: Array<{ schema: string; required: boolean }>;
}

export const RESOURCE_TYPES: ResourceTypeDefinition[] = [
  {
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'User Account',
    schema: SCIM_SCHEMAS.user,
    schemaExtensions: [{ schema: SCIM_SCHEMAS.enterpriseUser, required: false }],
  },
  {
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    description: 'Group',
    schema: SCIM_SCHEMAS.group,
    schemaExtensions: [],
  },
];
