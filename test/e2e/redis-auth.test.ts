import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, type HttpApp, loadConfig } from '@gatehouse/service-kit';
import { freePort, generatePrincipalKeys, PrivateServer, testNamespace } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../../gateway/src/app.js';
import { GatewayConfig } from '../../gateway/src/config.js';
import { createGatewayDeps, type GatewayDeps } from '../../gateway/src/deps.js';

/** The gateway against a private redis-server that demands a password, and an ACL user on it. */
const PASSWORD = `r${randomBytes(16).toString('hex')}`;
const ACL_PASSWORD = `a${randomBytes(16).toString('hex')}`;
const redis = PrivateServer.redis(['--requirepass', PASSWORD]);
const ns = testNamespace();
let principalKey: string;
const running: Array<{ app: HttpApp; deps: GatewayDeps }> = [];
/** The first gateway's client, authenticated as the default user, sets up and inspects the server. */
const admin = () => (running[0] as { deps: GatewayDeps }).deps.redis;

/** Everything the gateway logs, at debug level, as one string. */
function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger('gateway', 'debug', sink), text: () => lines.join('') };
}

async function gatewayWith(env: Record<string, string>) {
  const log = capturedLogger();
  const config = loadConfig(GatewayConfig, {
    PRINCIPAL_PRIVATE_KEY: principalKey,
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    NATS_SUBJECT_PREFIX: ns.subjectPrefix,
    RATE_LIMIT_KEY_PREFIX: `gh:test:${ns.id}`,
    LOG_LEVEL: 'debug',
    ...env,
  });
  const deps = await createGatewayDeps(config, log.logger);
  const app = await buildGateway(deps);
  await app.ready();
  running.push({ app, deps });
  return { app, deps, log };
}

beforeAll(async () => {
  await redis.start();
  principalKey = (await generatePrincipalKeys()).privateKeyPem;
  await gatewayWith({ REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}` });
  await admin().call('ACL', 'SETUSER', 'gatehouse', 'on', `>${ACL_PASSWORD}`, '~gh:*', '+@all');
});
afterAll(async () => {
  for (const { app, deps } of running.splice(0)) {
    await app.close();
    await deps.close();
  }
  await redis.destroy();
});

describe('Redis AUTH through REDIS_URL', () => {
  it.each([
    ['a password (requirepass)', () => `redis://:${PASSWORD}@127.0.0.1:${redis.port}`],
    ['an ACL user', () => `redis://gatehouse:${ACL_PASSWORD}@127.0.0.1:${redis.port}`],
  ])('keeps the rate limits in Redis when authenticated with %s, and never logs the password', async (_, url) => {
    const { app, deps, log } = await gatewayWith({ REDIS_URL: url() });
    expect(deps.redis.status).toBe('ready');
    const answer = await app.inject({ method: 'GET', url: '/api/user/me' });
    expect(answer.statusCode).toBe(401);
    expect(await admin().keys(`gh:test:${ns.id}:*`)).not.toHaveLength(0);
    expect(log.text()).not.toContain(PASSWORD);
    expect(log.text()).not.toContain(ACL_PASSWORD);
  });

  it('with a wrong password, limits in memory and a warning that names neither the URL nor the password', async () => {
    const wrong = `w${randomBytes(16).toString('hex')}`;
    const { app, deps, log } = await gatewayWith({ REDIS_URL: `redis://:${wrong}@127.0.0.1:${redis.port}` });
    expect(deps.redis.status).not.toBe('ready');
    expect((await app.inject({ method: 'GET', url: '/api/user/me' })).statusCode).toBe(401);
    expect(log.text()).toContain('Redis is not reachable');
    expect(log.text()).not.toContain(wrong);
  });
});

describe('NATS credentials in NATS_URL', () => {
  it('are not shown when NATS cannot be reached', async () => {
    const secret = `n${randomBytes(16).toString('hex')}`;
    const closed = await freePort();
    const failure = await gatewayWith({
      REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${redis.port}`,
      NATS_URL: `nats://gateway:${secret}@127.0.0.1:${closed}`,
    }).then(
      () => new Error('the gateway started without NATS'),
      (error: Error) => error,
    );
    expect(failure.message).toContain(`127.0.0.1:${closed}`);
    expect(failure.message).not.toContain(secret);
  });
});
