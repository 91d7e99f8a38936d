import {
  createMailer,
  createServiceApp,
  type HttpApp,
  type Mailer,
  MailRelay,
  type ServiceDeps,
} from '@gatehouse/service-kit';
import type { OrganizationConfig } from './config.js';
import type { OrgContext } from './context.js';
import { directoryConsumer } from './directory/service.js';
import { inviteRoutes } from './invites/routes.js';
import { memberRoutes } from './members/routes.js';
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
  };
  const app = createServiceApp(deps);
  organizationRoutes(app, ctx);
  memberRoutes(app, ctx);
  inviteRoutes(app, ctx);

  const responders = serveOrganizationRpc(ctx);
  const users = directoryConsumer(ctx);
  await users.start();
  ctx.mail.start();
  app.addHook('onClose', async () => {
    for (const responder of responders) responder.unsubscribe();
    await users.stop();
    await ctx.mail.stop();
  });
  return app;
}
