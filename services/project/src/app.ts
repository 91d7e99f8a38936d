import { createServiceApp, type HttpApp, type ServiceDeps } from '@gatehouse/service-kit';
import type { ProjectConfig } from './config.js';
import { membershipConsumer, userConsumer } from './memberships/service.js';
import { projectRoutes } from './projects/routes.js';

export async function buildApp(deps: ServiceDeps<ProjectConfig>): Promise<HttpApp> {
  const app = createServiceApp(deps);
  projectRoutes(app, deps);
  const consumers = [membershipConsumer(deps), userConsumer(deps)];
  for (const consumer of consumers) await consumer.start();
  app.addHook('onClose', async () => {
    for (const consumer of consumers) await consumer.stop();
  });
  return app;
}
