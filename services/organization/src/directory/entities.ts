import { EntitySchema } from '@mikro-orm/postgresql';

/** The organization service's copy of who users are, kept from identity's user events. */
export interface DirectoryUser {
  userId: string;
  email: string;
  name: string;
  isVerified: boolean;
  /** The user has a second factor (identity's `user.security_changed`, or `user.updated` when it carries it). */
  mfaEnabled: boolean;
}

export const DirectoryUserSchema = new EntitySchema<DirectoryUser>({
  name: 'DirectoryUser',
  tableName: 'directory_users',
  properties: {
    userId: { type: 'string', primary: true },
    email: { type: 'string', index: true },
    name: { type: 'string' },
    isVerified: { type: 'boolean' },
    mfaEnabled: { type: 'boolean', default: false },
  },
});
