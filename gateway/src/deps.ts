import {
  createLogger,
  createPrincipalSigner,
  type Logger,
  natsConnectionOptions,
  type PrincipalSigner,
  pemFromEnv,
  reach,
} from '@gatehouse/service-kit/edge';
import { Redis } from 'ioredis';
import { connect, type NatsConnection } from 'nats';
import type { GatewayConfig } from './config.js';

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  redis: Redis;
  nc: NatsConnection;
  signer: PrincipalSigner;
  subject(name: string): string;
  close(): Promise<void>;
}

export async function createGatewayDeps(
  config: GatewayConfig,
  logger = createLogger('gateway', config.LOG_LEVEL),
): Promise<GatewayDeps> {
  const signer = await createPrincipalSigner(pemFromEnv(config.PRINCIPAL_PRIVATE_KEY));
  const nats = natsConnectionOptions(
    { url: config.NATS_URL, creds: config.NATS_CREDS, token: config.NATS_TOKEN },
    'gateway',
  );
  // Named without the credentials NATS_URL may carry.
  const nc = await reach('NATS', nats.servers.join(','), () =>
    // No stack captured per request for async error traces (as the services' connections, issue #21).
    connect({ ...nats, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true }),
  );
  // No offline queue: with Redis away, limiter calls fail fast and the in-memory insurance takes over.
  // No auto-pipelining: a request sends one script call, and requests arrive one per socket read, so
  // there is rarely a second command in the same tick to batch with; each call then paid for a
  // deferred flush and a Pipeline of one (measured on a shared machine: median CPU per request ≈ 430 µs
  // off vs ≈ 500–540 µs on).
  const redis = new Redis(config.REDIS_URL, {
    enableAutoPipelining: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on('error', () => undefined);
  redis.on('end', () => undefined);
  await redis.connect().catch(() => {
    logger.warn(
      'Redis is not reachable; rate limits are kept per replica in memory until it is back. Start it with: redis-server --daemonize yes (or: docker compose up -d redis)',
    );
  });
  return {
    config,
    logger,
    redis,
    nc,
    signer,
    subject: (name) => `${config.NATS_SUBJECT_PREFIX}${name}`,
    async close() {
      redis.disconnect();
      await nc.drain().catch(() => nc.close());
    },
  };
}
