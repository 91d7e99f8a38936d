import { loadConfig } from '@gatehouse/service-kit';
import { generatePrincipalKeys, testNamespace } from '@gatehouse/service-kit/testing';
import { GatewayConfig } from '../src/config.js';

/** Config for a gateway on its own in a test: real Redis and NATS, a namespace and a key of its own. */
export async function standaloneGatewayConfig(overrides: Record<string, string> = {}): Promise<GatewayConfig> {
  const ns = testNamespace();
  const keys = await generatePrincipalKeys();
  return loadConfig(GatewayConfig, {
    GATEWAY_PORT: '0',
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    NATS_SUBJECT_PREFIX: ns.subjectPrefix,
    RATE_LIMIT_KEY_PREFIX: `gh:test:${ns.id}`,
    PRINCIPAL_PRIVATE_KEY: keys.privateKeyPem,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
}
