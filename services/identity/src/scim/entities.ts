import type { Role } from '@gatehouse/contracts';
import { EntitySchema } from '@mikro-orm/postgresql';

/**
 * A person as a directory provisioned them. `resource` keeps the SCIM attributes as sent (minus
 * `password`, `id`, `meta`, `groups`); the columns beside it are the ones filters and uniqueness use.
 */
export interface ScimUser {
  id: string;
  directoryId: string;
  /** The Gatehouse account this SCIM user is (created for it, or linked by verified domain). */
  userId: string;
  userName: string;
  externalId: string | null;
  active: boolean;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  /** The address the account was found or created by: lower-case. */
  email: string;
  resource: Record<string, unknown>;
  /** The directory created the account: deprovisioning deactivates it (USER_NOT_ACTIVE). */
  ownsAccount: boolean;
  /** The role last asked of organization for this person; null while they are not (to be) a member. */
  role: Role | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  /** DELETE keeps a tombstone for 30 days (retention); every read skips it. */
  deletedAt: Date | null;
}

export const ScimUserSchema = new EntitySchema<ScimUser>({
  name: 'ScimUser',
  tableName: 'scim_users',
  properties: {
    id: { type: 'string', primary: true },
    directoryId: { type: 'string' },
    userId: { type: 'string' },
    userName: { type: 'string' },
    externalId: { type: 'string', nullable: true },
    active: { type: 'boolean' },
    displayName: { type: 'string', nullable: true },
    givenName: { type: 'string', nullable: true },
    familyName: { type: 'string', nullable: true },
    email: { type: 'string' },
    resource: { type: 'json' },
    ownsAccount: { type: 'boolean' },
    role: { type: 'string', nullable: true },
    version: { type: 'integer', default: 1 },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    deletedAt: { type: 'Date', nullable: true },
  },
});

export interface ScimGroup {
  id: string;
  directoryId: string;
  displayName: string;
  externalId: string | null;
  /** Attributes beyond displayName, externalId and members, as sent. */
  resource: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const ScimGroupSchema = new EntitySchema<ScimGroup>({
  name: 'ScimGroup',
  tableName: 'scim_groups',
  properties: {
    id: { type: 'string', primary: true },
    directoryId: { type: 'string' },
    displayName: { type: 'string' },
    externalId: { type: 'string', nullable: true },
    resource: { type: 'json' },
    version: { type: 'integer', default: 1 },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

export interface ScimGroupMember {
  groupId: string;
  scimUserId: string;
}

export const ScimGroupMemberSchema = new EntitySchema<ScimGroupMember>({
  name: 'ScimGroupMember',
  tableName: 'scim_group_members',
  properties: {
    groupId: { type: 'string', primary: true },
    scimUserId: { type: 'string', primary: true },
  },
});
