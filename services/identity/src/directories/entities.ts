import type { Role } from '@gatehouse/contracts';
import { EntitySchema } from '@mikro-orm/postgresql';

/** A directory group (by display name, case-insensitively) → the role its members get. */
export interface GroupRoleRule {
  group: string;
  role: Role;
}

/** An organization's SCIM directory (docs/scim.md): what Okta or Entra ID provisions into. */
export interface Directory {
  id: string;
  organizationId: string;
  name: string;
  defaultRole: Role;
  roleMapping: GroupRoleRule[];
  createdByUserId: string | null;
  /** The last SCIM write that changed something. */
  lastSyncAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Deleted directories are kept 30 days (retention), their tokens dead at once. */
  deletedAt: Date | null;
}

export const DirectorySchema = new EntitySchema<Directory>({
  name: 'Directory',
  tableName: 'directories',
  properties: {
    id: { type: 'string', primary: true },
    organizationId: { type: 'string' },
    name: { type: 'string' },
    defaultRole: { type: 'string' },
    roleMapping: { type: 'json' },
    createdByUserId: { type: 'string', nullable: true },
    lastSyncAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
    deletedAt: { type: 'Date', nullable: true },
  },
});

/** A directory's bearer token: only its SHA-256 is kept. Live while `expiresAt` is null or ahead. */
export interface DirectoryToken {
  id: string;
  directoryId: string;
  tokenHash: string;
  /** The prefix and first characters, to tell tokens apart in the console. */
  tokenStart: string;
  /** Who minted it: recovering their account ends it (whoever held the account may have minted it). */
  createdByUserId: string | null;
  createdAt: Date;
  expiresAt: Date | null;
}

export const DirectoryTokenSchema = new EntitySchema<DirectoryToken>({
  name: 'DirectoryToken',
  tableName: 'directory_tokens',
  properties: {
    id: { type: 'string', primary: true },
    directoryId: { type: 'string' },
    tokenHash: { type: 'string', hidden: true },
    tokenStart: { type: 'string' },
    createdByUserId: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date', nullable: true },
  },
});
