import { ROUTES } from '@gatehouse/contracts';
import {
  createMailer,
  createServiceApp,
  EntitlementsReadModel,
  type HttpApp,
  type Mailer,
  MailRelay,
  routeServer,
  type ServiceDeps,
} from '@gatehouse/service-kit';
import type { OrganizationConfig } from './config.js';
import { userConsumer } from './consumers.js';
import type { OrgContext } from './context.js';
import { directoryConsumer } from './directory-sync/consumer.js';
import { inviteRoutes } from './invites/routes.js';
import { memberRoutes } from './members/routes.js';
import { tenantAccess } from './organizations/access.js';
import { organizationRoutes } from './organizations/routes.js';
import { serveOrganizationRpc } from './rpc.js';

export interface OrganizationOptions {
  mailer?: Mailer;
}

export async function buildApp(
  deps: ServiceDeps<OrganizationConfig>,
  options: OrganizationOptions = {},
): Promise<HttpApp> {
  const ctx: OrgContext = {
    deps,
    config: deps.config,
    mail: new MailRelay(deps.orm.em, options.mailer ?? createMailer(deps.config, deps.logger), deps.logger),
    entitlements: new EntitlementsReadModel(deps, 'organization-entitlements'),
  };
  const app = createServiceApp(deps);
  const routes = routeServer(app, {
    contracts: ROUTES.filter((route) => route.upstream === 'organization'),
    tenantAccess: tenantAccess(ctx),
  });
  organizationRoutes(routes, ctx);
  memberRoutes(routes, ctx);
  inviteRoutes(routes, ctx);

  const responders = serveOrganizationRpc(ctx);
  const users = userConsumer(ctx);
  await users.start();
  const directories = directoryConsumer(ctx);
  await directories.start();
  const entitlements = ctx.entitlements.consumer();
  await entitlements.start();
  ctx.mail.start();
  app.addHook('onClose', async () => {
    for (const responder of responders) responder.unsubscribe();
    await users.stop();
    await directories.stop();
    await entitlements.stop();
    await ctx.mail.stop();
  });
  return app;
}
