import { EntitySchema } from '@mikro-orm/postgresql';

/** The organization service's copy of who users are, kept from identity's user events. */
export interface DirectoryUser {
  userId: string;
  email: string;
  name: string;
  isVerified: boolean;
}

export const DirectoryUserSchema = new EntitySchema<DirectoryUser>({
  name: 'DirectoryUser',
  tableName: 'directory_users',
  properties: {
    userId: { type: 'string', primary: true },
    email: { type: 'string', index: true },
    name: { type: 'string' },
    isVerified: { type: 'boolean' },
  },
});
