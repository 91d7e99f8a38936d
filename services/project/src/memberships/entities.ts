import type { Role } from '@gatehouse/contracts';
import { EntitySchema } from '@mikro-orm/postgresql';

/** Project's read model of membership, built from organization events. */
export interface Membership {
  organizationId: string;
  userId: string;
  role: Role;
}

export const MembershipSchema = new EntitySchema<Membership>({
  name: 'Membership',
  tableName: 'memberships',
  properties: {
    organizationId: { type: 'string', primary: true },
    userId: { type: 'string', primary: true },
    role: { type: 'string' },
  },
});

/** Names for createdByUser, built from identity's user events. */
export interface ProjectUser {
  userId: string;
  fullName: string;
}

export const ProjectUserSchema = new EntitySchema<ProjectUser>({
  name: 'ProjectUser',
  tableName: 'users',
  properties: {
    userId: { type: 'string', primary: true },
    fullName: { type: 'string' },
  },
});
