import { type HttpApp, ok, requireUser, type ServiceDeps } from '@gatehouse/service-kit';
import type { FastifyRequest } from 'fastify';
import {
  CreateProjectBody,
  ListProjectsQuery,
  OrganizationParams,
  ProjectParams,
  UpdateProjectBody,
} from './schemas.js';
import { createProject, deleteProject, getProject, listProjects, type ProjectScope, updateProject } from './service.js';

const BASE = '/api/user/organizations/:organizationId/projects';

export function projectRoutes(app: HttpApp, deps: ServiceDeps): void {
  const scopeOf = (request: FastifyRequest, organizationId: string): ProjectScope => ({
    deps,
    organizationId,
    principal: requireUser(request),
  });

  app.get(BASE, { schema: { params: OrganizationParams, querystring: ListProjectsQuery } }, async (request, reply) => {
    const { items, meta } = await listProjects(scopeOf(request, request.params.organizationId), request.query);
    return ok(reply, 'Projects fetched successfully', items, { meta });
  });

  app.post(BASE, { schema: { params: OrganizationParams, body: CreateProjectBody } }, async (request, reply) => {
    const { project, etag } = await createProject(scopeOf(request, request.params.organizationId), request.body);
    reply.header('etag', etag);
    return ok(reply, 'Project created', project, { status: 201 });
  });

  app.get(`${BASE}/:projectId`, { schema: { params: ProjectParams } }, async (request, reply) => {
    const { project, etag } = await getProject(
      scopeOf(request, request.params.organizationId),
      request.params.projectId,
    );
    reply.header('etag', etag);
    return ok(reply, 'Project fetched successfully', project);
  });

  app.put(
    `${BASE}/:projectId`,
    { schema: { params: ProjectParams, body: UpdateProjectBody } },
    async (request, reply) => {
      const ifMatch = request.headers['if-match'];
      const { project, etag } = await updateProject(
        scopeOf(request, request.params.organizationId),
        request.params.projectId,
        request.body,
        typeof ifMatch === 'string' ? ifMatch : undefined,
      );
      reply.header('etag', etag);
      return ok(reply, 'Project updated', project);
    },
  );

  app.delete(`${BASE}/:projectId`, { schema: { params: ProjectParams } }, async (request, reply) => {
    await deleteProject(scopeOf(request, request.params.organizationId), request.params.projectId);
    return ok(reply, 'Project deleted', null);
  });
}
