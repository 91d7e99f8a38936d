import { ROUTES } from '@gatehouse/contracts';
import {
  createMailer,
  createServiceApp,
  type HttpApp,
  Keyring,
  type Mailer,
  MailRelay,
  routeServer,
  type ServiceDeps,
} from '@gatehouse/service-kit';
import type { AuditConfig } from './config.js';
import type { AuditContext } from './context.js';
import { DeliveryWorker } from './deliveries/worker.js';
import { forgetOrganization } from './forget-organization.js';
import { ingestConsumers } from './ingest/consumer.js';
import { auditLogRoutes } from './logs/routes.js';
import { auditMemberships, tenantAccess } from './memberships/service.js';
import { AuditRetention } from './retention/sweeper.js';
import { webhookRoutes } from './webhooks/routes.js';

export interface AuditOptions {
  mailer?: Mailer;
}

export async function buildApp(deps: ServiceDeps<AuditConfig>, options: AuditOptions = {}): Promise<HttpApp> {
  let worker: DeliveryWorker | undefined;
  const ctx: AuditContext = {
    deps,
    config: deps.config,
    mail: new MailRelay(deps.orm.em, options.mailer ?? createMailer(deps.config, deps.logger), deps.logger),
    secrets: Keyring.parse(deps.config.WEBHOOK_ENCRYPTION_KEY, 'WEBHOOK_ENCRYPTION_KEY'),
    memberships: auditMemberships(deps, forgetOrganization),
    kickDeliveries: () => worker?.kick(),
  };
  worker = new DeliveryWorker(ctx);
  const retention = new AuditRetention(ctx);
  const app = createServiceApp(deps);
  const routes = routeServer(app, {
    contracts: ROUTES.filter((route) => route.upstream === 'audit'),
    tenantAccess: tenantAccess(deps, ctx.memberships),
  });
  auditLogRoutes(routes, ctx);
  webhookRoutes(routes, ctx);

  const consumers = [ctx.memberships.consumer(), ...ingestConsumers(ctx)];
  for (const consumer of consumers) await consumer.start();
  ctx.mail.start();
  worker.start();
  retention.start();
  app.addHook('onClose', async () => {
    for (const consumer of consumers) await consumer.stop();
    await worker?.stop();
    await retention.stop();
    await ctx.mail.stop();
  });
  return app;
}
