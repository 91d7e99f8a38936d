import { randomBytes } from 'node:crypto';
import type { EventContext, EventDataBySubject, EventEnvelope, EventSubject } from '@gatehouse/contracts';
import { smtpMailer } from '@gatehouse/service-kit';
import {
  generatePrincipalKeys,
  type PrincipalKeys,
  publishTestEvent,
  startTestService,
  type TestNamespace,
  type TestService,
  testNamespace,
  testServiceConfig,
} from '@gatehouse/service-kit/testing';
import { TestSmtpServer } from '../../identity/test/smtp.js';
import { buildApp } from '../src/app.js';
import type { AuditConfig } from '../src/config.js';
import { auditService } from '../src/definition.js';

export interface AuditHarness {
  ns: TestNamespace;
  keys: PrincipalKeys;
  smtp: TestSmtpServer;
  service: TestService<AuditConfig>;
  /** Publishes an event to the namespace's stream as a producer's outbox relay would. */
  publish<S extends EventSubject>(
    type: S,
    data: EventDataBySubject[S],
    context?: EventContext,
  ): Promise<EventEnvelope<S>>;
  close(): Promise<void>;
}

export function auditTestConfig(ns: TestNamespace, keys: PrincipalKeys, overrides: Record<string, unknown> = {}) {
  return testServiceConfig('audit', ns, keys, {
    MAIL_FROM: 'Gatehouse <no-reply@example.test>',
    MAIL_OUTBOX_DIR: '.data/test-mail',
    PUBLIC_URL: 'http://localhost:8080',
    WEBHOOK_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
    WEBHOOK_ALLOW_PRIVATE_URLS: true,
    WEBHOOK_RETRY_SCHEDULE: '50ms,100ms,200ms',
    WEBHOOK_TIMEOUT_MS: 2000,
    WEBHOOK_MAX_RESPONSE_BYTES: 65_536,
    WEBHOOK_CONCURRENCY: 8,
    WEBHOOK_ORGANIZATION_CONCURRENCY: 2,
    AUDIT_RETENTION_DAYS: 365,
    ...overrides,
  }) as unknown as AuditConfig;
}

/** The audit service alone, on a namespace of its own, fed by events the test publishes. */
export async function startAudit(overrides: Record<string, unknown> = {}): Promise<AuditHarness> {
  const ns = testNamespace();
  const keys = await generatePrincipalKeys();
  const smtp = new TestSmtpServer();
  const smtpUrl = await smtp.start();
  const config = auditTestConfig(ns, keys, { SMTP_URL: smtpUrl, ...overrides });
  const service = await startTestService(auditService, config, keys, (deps) =>
    buildApp(deps, { mailer: smtpMailer(smtpUrl, config.MAIL_FROM) }),
  );
  return {
    ns,
    keys,
    smtp,
    service,
    publish: (type, data, context) => publishTestEvent(service.deps.messaging, type, data, context),
    async close() {
      await service.close();
      await smtp.stop();
    },
  };
}
