import {
  type EventContext,
  type EventDataBySubject,
  type EventEnvelope,
  type EventSubject,
  newId,
  type Principal,
} from '@gatehouse/contracts';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { StringCodec } from 'nats';
import type { BaseServiceConfig, LogLevel } from './config.js';
import { dropDatabase } from './db.js';
import type { HttpApp } from './http.js';
import { createLogger } from './logger.js';
import type { Messaging } from './nats.js';
import { createPrincipalSigner, type PrincipalSigner } from './principal.js';
import { createServiceDeps, type ServiceDefinition, type ServiceDeps } from './service.js';

export interface PrincipalKeys {
  privateKeyPem: string;
  publicKeyPem: string;
}

export async function generatePrincipalKeys(): Promise<PrincipalKeys> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey) };
}

/**
 * An isolated namespace for one test file: its own databases, NATS subject prefix and
 * JetStream stream, so suites run in parallel against the same servers and repeat.
 */
export interface TestNamespace {
  id: string;
  subjectPrefix: string;
  stream: string;
  databaseUrl(service: string): string;
}

export function testNamespace(): TestNamespace {
  const id = newId().toLowerCase();
  const base = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  return {
    id,
    subjectPrefix: `t${id}.`,
    stream: `T${id.toUpperCase()}`,
    databaseUrl(service) {
      const url = new URL(base);
      url.pathname = `/gh_test_${service}_${id}`;
      return url.toString();
    },
  };
}

export function testServiceConfig(
  service: string,
  ns: TestNamespace,
  keys: PrincipalKeys,
  overrides: Record<string, unknown> = {},
): BaseServiceConfig & Record<string, unknown> {
  return {
    HOST: '127.0.0.1',
    PORT: 0,
    DATABASE_URL: ns.databaseUrl(service),
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_SUBJECT_PREFIX: ns.subjectPrefix,
    EVENTS_STREAM: ns.stream,
    LOG_LEVEL: (process.env.TEST_LOG_LEVEL ?? 'silent') as LogLevel,
    PRINCIPAL_PUBLIC_KEY: keys.publicKeyPem,
    BODY_LIMIT: 1_048_576,
    ...overrides,
  };
}

export interface TestService<C extends BaseServiceConfig> {
  app: HttpApp;
  deps: ServiceDeps<C>;
  signer: PrincipalSigner;
  /** Headers a gateway would add for this principal. */
  as(principal: Principal): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function startTestService<C extends BaseServiceConfig>(
  definition: ServiceDefinition,
  config: C,
  keys: PrincipalKeys,
  buildApp: (deps: ServiceDeps<C>) => Promise<HttpApp>,
  options: { ownsStream?: boolean } = {},
): Promise<TestService<C>> {
  const ownsStream = options.ownsStream ?? true;
  const deps = await createServiceDeps(definition, config, createLogger(definition.name, config.LOG_LEVEL));
  const app = await buildApp(deps);
  await app.ready();
  const signer = await createPrincipalSigner(keys.privateKeyPem);
  return {
    app,
    deps,
    signer,
    async as(principal) {
      const token = await signer.sign({ principal, clientIp: '127.0.0.1' });
      return { 'x-gatehouse-principal': token };
    },
    async close() {
      await app.close();
      if (ownsStream) await deps.messaging.jsm.streams.delete(config.EVENTS_STREAM).catch(() => undefined);
      await deps.close();
      await dropDatabase(config.DATABASE_URL);
    },
  };
}

/**
 * Polls until the check passes or the deadline is reached (for eventually-consistent reads). The
 * default deadline is generous: a full parallel test run on two cores can delay an event or a mail
 * by seconds, and a passing check returns at once however long the deadline is.
 */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
  throw lastError;
}
export * from './private-server.js';

/**
 * Publishes an event onto the namespace's stream as another service's outbox relay would (event id as
 * Nats-Msg-Id), for a service tested alone.
 */
export async function publishTestEvent<S extends EventSubject>(
  messaging: Messaging,
  type: S,
  data: EventDataBySubject[S],
  context?: EventContext,
): Promise<EventEnvelope<S>> {
  const id = newId();
  const event = {
    id,
    type,
    occurredAt: new Date().toISOString(),
    version: 1,
    data,
    ...(context && { context }),
    ...(context?.requestId && { requestId: context.requestId }),
  } as EventEnvelope<S>;
  await messaging.js.publish(messaging.subject(type), StringCodec().encode(JSON.stringify(event)), { msgID: id });
  return event;
}
