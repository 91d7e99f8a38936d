import { ROUTES } from '@gatehouse/contracts';
import {
  createServiceApp,
  EntitlementsReadModel,
  type HttpApp,
  routeServer,
  type ServiceDeps,
} from '@gatehouse/service-kit';
import type { ProjectConfig } from './config.js';
import { forgetOrganization, projectConsumers } from './consumers.js';
import { projectMemberships, tenantAccess } from './memberships/service.js';
import { projectRoutes } from './projects/routes.js';

export async function buildApp(deps: ServiceDeps<ProjectConfig>): Promise<HttpApp> {
  const app = createServiceApp(deps);
  const memberships = projectMemberships(deps, forgetOrganization);
  const entitlements = new EntitlementsReadModel(deps, 'project-entitlements');
  const routes = routeServer(app, {
    contracts: ROUTES.filter((route) => route.upstream === 'project'),
    tenantAccess: tenantAccess(deps, memberships),
  });
  projectRoutes(routes, deps, entitlements);
  const consumers = projectConsumers(deps, memberships, entitlements);
  for (const consumer of consumers) await consumer.start();
  app.addHook('onClose', async () => {
    for (const consumer of consumers) await consumer.stop();
  });
  return app;
}
