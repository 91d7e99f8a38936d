import { listQuerySchema, RoleSchema, ULID_PATTERN } from '@gatehouse/contracts';
import { SLUG_PATTERN } from '@gatehouse/service-kit';
import { Type } from 'typebox';

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Slug = Type.String({ pattern: SLUG_PATTERN, maxLength: 63 });

export const OrganizationParams = Type.Object(
  { organizationId: Type.String({ pattern: ULID_PATTERN }) },
  { additionalProperties: false },
);
export const MemberParams = Type.Object(
  { organizationId: Type.String({ pattern: ULID_PATTERN }), memberId: Type.String({ pattern: ULID_PATTERN }) },
  { additionalProperties: false },
);
export const InviteParams = Type.Object(
  { organizationId: Type.String({ pattern: ULID_PATTERN }), inviteId: Type.String({ pattern: ULID_PATTERN }) },
  { additionalProperties: false },
);
export const InviteTokenParams = Type.Object(
  { token: Type.String({ pattern: '^[A-Za-z0-9]{20,200}$' }) },
  { additionalProperties: false },
);

export const CreateOrganizationBody = Type.Object(
  { name: Name, slug: Type.Optional(Slug) },
  { additionalProperties: false },
);
export const UpdateOrganizationBody = Type.Object(
  { name: Type.Optional(Name), slug: Type.Optional(Slug) },
  { additionalProperties: false, minProperties: 1 },
);
export const ChangeRoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });
export const CreateInviteBody = Type.Object(
  { email: Type.String({ format: 'email', maxLength: 254 }), role: Type.Optional(RoleSchema) },
  { additionalProperties: false },
);
export const OrganizationListQuery = listQuerySchema(['name', 'createdAt']);
export const MemberListQuery = listQuerySchema(['joinedAt']);
export const InviteListQuery = listQuerySchema(['createdAt']);
