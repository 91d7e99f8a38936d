import { listQuerySchema, ULID_PATTERN } from '@gatehouse/contracts';
import { SLUG_PATTERN } from '@gatehouse/service-kit';
import { Type } from 'typebox';
import { PROJECT_STATUSES, type ProjectStatus } from './entities.js';

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Slug = Type.String({ pattern: SLUG_PATTERN, maxLength: 63 });
const Description = Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]);
const Status = Type.Unsafe<ProjectStatus>({ type: 'string', enum: [...PROJECT_STATUSES] });

export const OrganizationParams = Type.Object(
  { organizationId: Type.String({ pattern: ULID_PATTERN }) },
  { additionalProperties: false },
);
export const ProjectParams = Type.Object(
  { organizationId: Type.String({ pattern: ULID_PATTERN }), projectId: Type.String({ pattern: ULID_PATTERN }) },
  { additionalProperties: false },
);
export const CreateProjectBody = Type.Object(
  { name: Name, slug: Type.Optional(Slug), description: Type.Optional(Description), status: Type.Optional(Status) },
  { additionalProperties: false },
);
export const UpdateProjectBody = Type.Object(
  {
    name: Type.Optional(Name),
    slug: Type.Optional(Slug),
    description: Type.Optional(Description),
    status: Type.Optional(Status),
  },
  { additionalProperties: false, minProperties: 1 },
);
const baseList = listQuerySchema(['name', 'createdAt', 'updatedAt']);
export const ListProjectsQuery = Type.Object(
  { ...baseList.properties, status: Type.Optional(Status) },
  { additionalProperties: false },
);
