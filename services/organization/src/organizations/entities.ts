import type { Role } from '@gatehouse/contracts';
import { EntitySchema } from '@mikro-orm/postgresql';

export interface Organization {
  id: string;
  name: string;
  slug: string;
  /** Set on the organization provisioned at sign-up; unique, which makes provisioning idempotent. */
  defaultForUserId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export const OrganizationSchema = new EntitySchema<Organization>({
  name: 'Organization',
  tableName: 'organizations',
  properties: {
    id: { type: 'string', primary: true },
    name: { type: 'string' },
    slug: { type: 'string', unique: true },
    defaultForUserId: { type: 'string', nullable: true, unique: true },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date' },
  },
});

export interface Member {
  id: string;
  organizationId: string;
  userId: string;
  role: Role;
  joinedAt: Date;
}

export const MemberSchema = new EntitySchema<Member>({
  name: 'Member',
  tableName: 'members',
  properties: {
    id: { type: 'string', primary: true },
    organizationId: { type: 'string' },
    userId: { type: 'string', index: true },
    role: { type: 'string' },
    joinedAt: { type: 'Date' },
  },
});

export function presentOrganization(organization: Organization, role: Role) {
  return {
    id: organization.id,
    name: organization.name,
    slug: organization.slug,
    isDefault: organization.defaultForUserId !== null,
    role,
    createdAt: organization.createdAt.toISOString(),
    updatedAt: organization.updatedAt.toISOString(),
  };
}

/** One membership: the caller's, or the one an accepted invitation made. */
export function presentMembership(member: Member) {
  return {
    id: member.id,
    organizationId: member.organizationId,
    userId: member.userId,
    role: member.role,
    joinedAt: member.joinedAt.toISOString(),
  };
}
