import { readdir, readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLogger, type HttpApp, loadConfig, type ServiceDeps, smtpMailer } from '@gatehouse/service-kit';
import {
  freePort,
  generatePrincipalKeys,
  type PrincipalKeys,
  startTestService,
  type TestNamespace,
  type TestService,
  testNamespace,
  testServiceConfig,
} from '@gatehouse/service-kit/testing';
import { inject } from 'vitest';
import { buildGateway } from '../../gateway/src/app.js';
import { GatewayConfig } from '../../gateway/src/config.js';
import { createGatewayDeps, type GatewayDeps } from '../../gateway/src/deps.js';
import { buildApp as buildAudit } from '../../services/audit/src/app.js';
import type { AuditConfig } from '../../services/audit/src/config.js';
import { auditService } from '../../services/audit/src/definition.js';
import { auditTestConfig } from '../../services/audit/test/harness.js';
import { buildApp as buildBilling } from '../../services/billing/src/app.js';
import type { BillingConfig } from '../../services/billing/src/config.js';
import { billingService } from '../../services/billing/src/definition.js';
import { billingTestConfig } from '../../services/billing/test/harness.js';
import { buildConsole } from '../../services/console/src/app.js';
import { buildApp as buildIdentity } from '../../services/identity/src/app.js';
import type { IdentityConfig } from '../../services/identity/src/config.js';
import { identityService } from '../../services/identity/src/definition.js';
import { identityTestConfig } from '../../services/identity/test/harness.js';
import { TestSmtpServer } from '../../services/identity/test/smtp.js';
import { buildApp as buildOrganization } from '../../services/organization/src/app.js';
import type { OrganizationConfig } from '../../services/organization/src/config.js';
import { organizationService } from '../../services/organization/src/definition.js';
import { buildApp as buildProject } from '../../services/project/src/app.js';
import type { ProjectConfig } from '../../services/project/src/config.js';
import { projectService } from '../../services/project/src/definition.js';
import { checkAnswersFrom } from './contract-check.js';
import type { FakeStripe } from './stripe-server.js';

async function listen(app: HttpApp): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export type StackProcess = 'identity' | 'organization' | 'project' | 'audit' | 'billing' | 'gateway';

/** The billing service's part of a stack: config overrides, and the Stripe counterpart it talks to (none: local mode). */
export interface StackBillingOptions {
  overrides?: Record<string, unknown>;
  stripe?: FakeStripe;
}

export interface Stack {
  ns: TestNamespace;
  keys: PrincipalKeys;
  smtp: TestSmtpServer;
  identity: TestService<IdentityConfig>;
  organization: TestService<OrganizationConfig>;
  project: TestService<ProjectConfig>;
  /** Started only when the suite asks for it (`audit: true`); its routes answer 503 otherwise. */
  audit: TestService<AuditConfig> | null;
  /** Started only when the suite asks for it (`billing: true | {…}`); its routes answer 503 otherwise. */
  billing: TestService<BillingConfig> | null;
  urls: {
    gateway: string;
    identity: string;
    organization: string;
    project: string;
    audit: string;
    billing: string;
    console: string;
  };
  gateways: Array<{ app: HttpApp; deps: GatewayDeps; url: string }>;
  /** Starts one more gateway replica on the same services, Redis and NATS. */
  addGateway(
    overrides?: Record<string, string>,
    port?: number,
  ): Promise<{ app: HttpApp; deps: GatewayDeps; url: string }>;
  close(): Promise<void>;
}

/**
 * The whole system in one process, each part on its own loopback port and talking over real
 * HTTP, NATS, PostgreSQL, Redis and SMTP, in a namespace of its own.
 */
export async function startStack(
  gatewayOverrides: Record<string, string> = {},
  identityOverrides: Record<string, unknown> = {},
  options: {
    /** One NATS URL for all, or one per process (each on its own NATS user). */
    natsUrl?: string | ((user: StackProcess) => string);
    /** The production subjects: no prefix, the default stream (a private nats-server with the shipped permissions). */
    unprefixedSubjects?: boolean;
    /** Identity reaches PostgreSQL through this port (a TcpRelay). */
    identityDatabasePort?: number;
    /**
     * The public URL's host (default 127.0.0.1). Passkey suites use `localhost`: WebAuthn refuses an IP
     * address as the relying-party id, and Chromium counts http://localhost as a secure context.
     */
    publicHost?: '127.0.0.1' | 'localhost';
    /** Start the audit service too (the audit log and webhooks), with these config overrides. */
    audit?: boolean | Record<string, unknown>;
    /**
     * Start the billing service too: `true` in local mode (no Stripe key, every organization on Free), or
     * with config overrides and a FakeStripe (test/support/stripe-server.ts) whose key and webhook secret it uses.
     */
    billing?: boolean | StackBillingOptions;
  } = {},
): Promise<Stack> {
  const target = process.env.GATEHOUSE_TARGET_URL;
  if (target) return externalStack(target, process.env.GATEHOUSE_TARGET_MAIL_DIR);
  const ns = options.unprefixedSubjects
    ? { ...testNamespace(), subjectPrefix: '', stream: 'GATEHOUSE_EVENTS' }
    : testNamespace();
  const natsUrlOf = (user: StackProcess) =>
    typeof options.natsUrl === 'function'
      ? options.natsUrl(user)
      : (options.natsUrl ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222');
  const keys = await generatePrincipalKeys();
  const smtp = new TestSmtpServer();
  const smtpUrl = await smtp.start();
  // The first gateway's address is the public URL: the OAuth issuer and token audience.
  const gatewayPort = await freePort();
  const publicUrl = `http://${options.publicHost ?? '127.0.0.1'}:${gatewayPort}`;
  const identityDatabase = new URL(ns.databaseUrl('identity'));
  if (options.identityDatabasePort) identityDatabase.port = String(options.identityDatabasePort);
  const identityConfig = identityTestConfig(ns, keys, {
    DATABASE_URL: identityDatabase.toString(),
    SMTP_URL: smtpUrl,
    PUBLIC_URL: publicUrl,
    NATS_URL: natsUrlOf('identity'),
    ...identityOverrides,
  });
  const identity = await startTestService(identityService, identityConfig, keys, (deps) =>
    // Identity closes last, so it deletes the namespace's stream once every consumer has stopped.
    buildIdentity(deps, { mailer: smtpMailer(smtpUrl, identityConfig.MAIL_FROM) }),
  );
  const organizationConfig = testServiceConfig('organization', ns, keys, {
    SMTP_URL: smtpUrl,
    MAIL_FROM: 'Gatehouse <no-reply@example.test>',
    MAIL_OUTBOX_DIR: '.data/test-mail',
    PUBLIC_URL: publicUrl,
    INVITE_TTL_SECONDS: 7 * 24 * 3600,
    NATS_URL: natsUrlOf('organization'),
  }) as unknown as OrganizationConfig;
  const organization = await startTestService(organizationService, organizationConfig, keys, (deps) =>
    buildOrganization(deps as ServiceDeps<OrganizationConfig>, {
      mailer: smtpMailer(smtpUrl, organizationConfig.MAIL_FROM),
    }),
  );
  const project = await startTestService(
    projectService,
    testServiceConfig('project', ns, keys, { NATS_URL: natsUrlOf('project') }) as unknown as ProjectConfig,
    keys,
    (deps) => buildProject(deps),
    { ownsStream: false },
  );
  const audit = options.audit
    ? await startTestService(
        auditService,
        auditTestConfig(ns, keys, {
          SMTP_URL: smtpUrl,
          PUBLIC_URL: publicUrl,
          NATS_URL: natsUrlOf('audit'),
          ...(typeof options.audit === 'object' ? options.audit : {}),
        }),
        keys,
        (deps) => buildAudit(deps, { mailer: smtpMailer(smtpUrl, 'Gatehouse <no-reply@example.test>') }),
        { ownsStream: false },
      )
    : null;
  const billingOptions: StackBillingOptions | null =
    options.billing === true ? {} : options.billing ? options.billing : null;
  const billing = billingOptions
    ? await startTestService(
        billingService,
        billingTestConfig(ns, keys, billingOptions.stripe ?? null, {
          PUBLIC_URL: publicUrl,
          NATS_URL: natsUrlOf('billing'),
          ...billingOptions.overrides,
        }),
        keys,
        (deps) => buildBilling(deps),
        { ownsStream: false },
      )
    : null;
  const identityUrl = await listen(identity.app);
  const organizationUrl = await listen(organization.app);
  const projectUrl = await listen(project.app);
  // Without the audit service its routes reach a closed port: 503, as with the service down.
  const auditUrl = audit ? await listen(audit.app) : `http://127.0.0.1:${await freePort()}`;
  const billingUrl = billing ? await listen(billing.app) : `http://127.0.0.1:${await freePort()}`;
  const consoleApp = await buildConsole(
    { HOST: '127.0.0.1', PORT: 0, CONSOLE_DIST_DIR: inject('consoleDistDir'), LOG_LEVEL: 'silent' },
    createLogger('console', process.env.TEST_LOG_LEVEL ?? 'silent'),
  );
  const consoleUrl = await listen(consoleApp);

  const gateways: Stack['gateways'] = [];
  const addGateway = async (overrides: Record<string, string> = {}, port = 0) => {
    const config = loadConfig(GatewayConfig, {
      GATEWAY_PORT: String(port),
      PUBLIC_URL: publicUrl,
      IDENTITY_URL: identityUrl,
      ORGANIZATION_URL: organizationUrl,
      PROJECT_URL: projectUrl,
      AUDIT_URL: auditUrl,
      BILLING_URL: billingUrl,
      CONSOLE_URL: consoleUrl,
      NATS_URL: natsUrlOf('gateway'),
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      NATS_SUBJECT_PREFIX: ns.subjectPrefix,
      RATE_LIMIT_KEY_PREFIX: `gh:test:${ns.id}`,
      PRINCIPAL_PRIVATE_KEY: keys.privateKeyPem,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      // Suites run many SSO sign-ins from one address; the SSO limits are shown in gateway/test.
      RATE_LIMIT_SSO_START_MAX: '1000',
      RATE_LIMIT_SSO_FINISH_MAX: '1000',
      // Every suite signs in from 127.0.0.1: the per-IP MFA and passkey budgets would be shared by all.
      RATE_LIMIT_MFA_IP_MAX: '1000',
      RATE_LIMIT_PASSKEY_MAX: '1000',
      ...gatewayOverrides,
      ...overrides,
    });
    const deps = await createGatewayDeps(config);
    const app = await buildGateway(deps);
    await app.listen({ host: '127.0.0.1', port });
    const address = app.server.address() as AddressInfo;
    // Reached by the public host's name, so a page on it is on the public origin (passkeys need `localhost`).
    const gateway = { app, deps, url: `http://${options.publicHost ?? '127.0.0.1'}:${address.port}` };
    // Every answer the suites get from it must be what the OpenAPI document declares.
    checkAnswersFrom(gateway.url);
    gateways.push(gateway);
    return gateway;
  };
  const first = await addGateway({}, gatewayPort);

  return {
    ns,
    keys,
    smtp,
    identity,
    organization,
    project,
    audit,
    billing,
    urls: {
      gateway: first.url,
      identity: identityUrl,
      organization: organizationUrl,
      project: projectUrl,
      audit: auditUrl,
      billing: billingUrl,
      console: consoleUrl,
    },
    gateways,
    addGateway,
    async close() {
      for (const gateway of gateways) {
        await gateway.app.close();
        await gateway.deps.close();
      }
      await consoleApp.close();
      await project.close();
      await audit?.close();
      await billing?.close();
      await organization.close();
      await identity.close();
      await smtp.stop();
    },
  };
}

/**
 * GATEHOUSE_TARGET_URL set: the suite runs against a system already running there (the scale-out
 * run, test/scale-out), not one of its own. Only what crosses the wire is available: the gateway
 * URL (the console is served by it), and the mail the system wrote to GATEHOUSE_TARGET_MAIL_DIR
 * (its MAIL_OUTBOX_DIR, no SMTP_URL), read into `smtp` as it arrives. The suite's own config
 * overrides do not apply (the target's configuration is its own), and anything in-process — a
 * service's database handle, another gateway, the principal keys — throws when used, naming itself.
 */
async function externalStack(target: string, mailDir: string | undefined): Promise<Stack> {
  if (!mailDir) throw new Error('GATEHOUSE_TARGET_URL needs GATEHOUSE_TARGET_MAIL_DIR: the target’s MAIL_OUTBOX_DIR');
  const gateway = target.replace(/\/$/, '');
  const smtp = new TestSmtpServer();
  // Never sent to (the target writes files); started so its stop() in close() has a server to stop.
  await smtp.start();
  // A file is read again while its size changes: the mailer may still be writing it when first seen.
  const read = new Map<string, { size: number; index: number }>();
  const readMail = async () => {
    const files = (await readdir(mailDir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).sort();
    for (const file of files) {
      const path = join(mailDir, file);
      const { size } = await stat(path);
      const known = read.get(file);
      if (known?.size === size) continue;
      // The file mailer names each file `<ms>-<recipient>.eml`.
      const mail = { to: [file.replace(/^\d+-/, '').replace(/\.eml$/, '')], raw: await readFile(path, 'utf8') };
      if (known) smtp.received[known.index] = mail;
      else smtp.received.push(mail);
      read.set(file, { size, index: known?.index ?? smtp.received.length - 1 });
    }
  };
  await readMail();
  let reading = false;
  const poll = setInterval(() => {
    if (reading) return;
    reading = true;
    void readMail().finally(() => {
      reading = false;
    });
  }, 50);
  checkAnswersFrom(gateway);
  const unavailable = <T>(what: string): T =>
    new Proxy({} as object, {
      get(_, property) {
        throw new Error(`${what}.${String(property)} is in-process; a suite run against GATEHOUSE_TARGET_URL has none`);
      },
    }) as T;
  const unavailableUrl = (name: string) => () => {
    throw new Error(`urls.${name}: a suite run against GATEHOUSE_TARGET_URL reaches the system only at its gateway`);
  };
  const urls = Object.defineProperties({ gateway, console: gateway } as Stack['urls'], {
    identity: { get: unavailableUrl('identity') },
    organization: { get: unavailableUrl('organization') },
    project: { get: unavailableUrl('project') },
    audit: { get: unavailableUrl('audit') },
    billing: { get: unavailableUrl('billing') },
  });
  return {
    ns: testNamespace(),
    keys: unavailable<PrincipalKeys>('keys'),
    smtp,
    identity: unavailable('identity'),
    organization: unavailable('organization'),
    project: unavailable('project'),
    audit: null,
    billing: null,
    urls,
    gateways: [],
    addGateway: () =>
      Promise.reject(new Error('addGateway: a suite run against GATEHOUSE_TARGET_URL cannot add gateways')),
    async close() {
      clearInterval(poll);
      await smtp.stop();
    },
  };
}
