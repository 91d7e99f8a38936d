import { Type } from 'typebox';
import { listQuerySchema } from '../pagination.js';
import { Nullable, OrganizationParams, Slug, Timestamp, Ulid } from './common.js';
import { defineRoutes } from './contract.js';

export const PROJECT_STATUSES = ['draft', 'active', 'paused'] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Description = Nullable(Type.String({ maxLength: 2000 }));
const Status = Type.Unsafe<ProjectStatus>({ type: 'string', enum: [...PROJECT_STATUSES] });

const ProjectParams = Type.Object({ organizationId: Ulid, projectId: Ulid }, { additionalProperties: false });

export const Project = Type.Object(
  {
    id: Ulid,
    organizationId: Ulid,
    name: Type.String(),
    slug: Slug,
    description: Description,
    status: Status,
    createdByUserId: Ulid,
    /** `fullName` is null until the creator's profile has reached the project service, or after deletion. */
    createdByUser: Type.Object({ id: Ulid, fullName: Nullable(Type.String()) }, { additionalProperties: false }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);

const baseList = listQuerySchema({ sort: ['name', 'createdAt', 'updatedAt'], search: true });
const ListProjectsQuery = Type.Object(
  { ...baseList.properties, status: Type.Optional(Status) },
  { additionalProperties: false },
);

const ETAG = { etag: 'The project version, for If-Match on the next update' } as const;
const tag = 'Projects';
const BASE = '/api/user/organizations/:organizationId/projects';

export const PROJECT_ROUTES = defineRoutes({
  listProjects: {
    method: 'GET',
    path: BASE,
    upstream: 'project',
    tag,
    summary: 'List the projects of an organization',
    auth: 'required',
    scopes: ['projects:read'],
    params: OrganizationParams,
    query: ListProjectsQuery,
    response: { status: 200, data: Project, list: true },
  },
  createProject: {
    method: 'POST',
    path: BASE,
    upstream: 'project',
    tag,
    summary: 'Create a project',
    description: 'Without a slug, one is made from the name (with a numeric suffix when taken).',
    auth: 'required',
    scopes: ['projects:write'],
    params: OrganizationParams,
    body: Type.Object(
      { name: Name, slug: Type.Optional(Slug), description: Type.Optional(Description), status: Type.Optional(Status) },
      { additionalProperties: false },
    ),
    response: { status: 201, data: Project, headers: ETAG },
    errors: ['CONFLICT'],
  },
  getProject: {
    method: 'GET',
    path: `${BASE}/:projectId`,
    upstream: 'project',
    tag,
    summary: 'Read a project',
    auth: 'required',
    scopes: ['projects:read'],
    params: ProjectParams,
    response: { status: 200, data: Project, headers: ETAG },
  },
  updateProject: {
    method: 'PUT',
    path: `${BASE}/:projectId`,
    upstream: 'project',
    tag,
    summary: 'Change a project',
    description: 'Send the ETag you read as If-Match so a concurrent change is refused (412) instead of overwritten.',
    auth: 'required',
    scopes: ['projects:write'],
    params: ProjectParams,
    headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
    body: Type.Object(
      {
        name: Type.Optional(Name),
        slug: Type.Optional(Slug),
        description: Type.Optional(Description),
        status: Type.Optional(Status),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
    response: { status: 200, data: Project, headers: ETAG },
    errors: ['CONFLICT', 'PRECONDITION_FAILED'],
  },
  deleteProject: {
    method: 'DELETE',
    path: `${BASE}/:projectId`,
    upstream: 'project',
    tag,
    summary: 'Delete a project',
    auth: 'required',
    scopes: ['projects:write'],
    permission: 'organization:manage-members',
    params: ProjectParams,
    response: { status: 200, data: Type.Null() },
    errors: ['INSUFFICIENT_PERMISSIONS'],
  },
});
