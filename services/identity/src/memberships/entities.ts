import { EntitySchema } from '@mikro-orm/postgresql';

/** Identity's read model of organization membership, kept from organization events. */
export interface UserMembership {
  organizationId: string;
  userId: string;
  role: string;
}

export const UserMembershipSchema = new EntitySchema<UserMembership>({
  name: 'UserMembership',
  tableName: 'user_memberships',
  properties: {
    organizationId: { type: 'string', primary: true },
    userId: { type: 'string', primary: true },
    role: { type: 'string' },
  },
});
