import { PROJECT_ROUTES } from '@gatehouse/contracts';
import { type EntitlementsReadModel, ok, type RouteServer, type ServiceDeps } from '@gatehouse/service-kit';
import { createProject, deleteProject, getProject, listProjects, updateProject } from './service.js';

export function projectRoutes(routes: RouteServer, deps: ServiceDeps, entitlements: EntitlementsReadModel): void {
  routes.serve(PROJECT_ROUTES.listProjects, async (request, reply) => {
    const { items, meta } = await listProjects(deps, request.tenant, request.query);
    return ok(reply, 'Projects fetched successfully', items, { meta });
  });

  routes.serve(PROJECT_ROUTES.createProject, async (request, reply) => {
    const { project, etag } = await createProject(deps, entitlements, request.tenant, request.body);
    reply.header('etag', etag);
    return ok(reply, 'Project created', project, { status: 201 });
  });

  routes.serve(PROJECT_ROUTES.getProject, async (request, reply) => {
    const { project, etag } = await getProject(deps, request.tenant, request.params.projectId);
    reply.header('etag', etag);
    return ok(reply, 'Project fetched successfully', project);
  });

  routes.serve(PROJECT_ROUTES.updateProject, async (request, reply) => {
    const ifMatch = request.headers['if-match'];
    const { project, etag } = await updateProject(
      deps,
      request.tenant,
      request.params.projectId,
      request.body,
      typeof ifMatch === 'string' ? ifMatch : undefined,
    );
    reply.header('etag', etag);
    return ok(reply, 'Project updated', project);
  });

  routes.serve(PROJECT_ROUTES.deleteProject, async (request, reply) => {
    await deleteProject(deps, request.tenant, request.params.projectId);
    return ok(reply, 'Project deleted', null);
  });
}
