import type { AppError } from '@gatehouse/contracts';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../src/config.js';
import { type LimitState, RateLimits } from '../src/rate-limit/limiter.js';
import { standaloneGatewayConfig } from './standalone.js';

/** RateLimits against the real Redis: every limit of a request in one command, and in memory when Redis is away. */
let redis: Redis;
let config: GatewayConfig;

beforeAll(async () => {
  config = await standaloneGatewayConfig({
    RATE_LIMIT_IP_MAX: '5',
    RATE_LIMIT_IP_WINDOW_SECONDS: '900',
    RATE_LIMIT_CREDENTIAL_MAX: '3',
    RATE_LIMIT_CREDENTIAL_WINDOW_SECONDS: '60',
    RATE_LIMIT_SIGN_IN_MAX: '2',
    RATE_LIMIT_SIGN_IN_WINDOW_SECONDS: '60',
  });
  redis = new Redis(config.REDIS_URL, { enableAutoPipelining: true, enableOfflineQueue: false, lazyConnect: true });
  await redis.connect();
});
afterAll(() => {
  redis?.disconnect();
});

/** Every command the client sends, by name (ioredis's own hook: what goes on the wire). */
function commandsSent(client: Redis): string[] {
  const sent: string[] = [];
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    sent.push(command.name);
    return send(command, stream);
  };
  return sent;
}

async function refusal(run: Promise<unknown>): Promise<AppError & { limitState: LimitState; rejectedBy: string[] }> {
  try {
    await run;
  } catch (error) {
    return error as never;
  }
  throw new Error('expected a 429');
}

describe('RateLimits with Redis', () => {
  it('spends every limit of a request in one Redis command, and reports the tightest', async () => {
    const limits = new RateLimits(redis, config);
    const sent = commandsSent(redis);
    const { tightest } = await limits.consume({ ip: '203.0.113.1', credential: 'api_key:one', signInIp: undefined });
    expect(sent).toHaveLength(1);
    expect(['evalsha', 'eval']).toContain(sent[0]);
    expect(tightest).toEqual({ limit: 3, remaining: 2, resetSeconds: 60 });

    const { tightest: next } = await limits.consume({
      ip: '203.0.113.1',
      credential: 'api_key:one',
      signInIp: '203.0.113.1',
      signInEmail: 'a@example.com',
    });
    expect(sent).toHaveLength(2);
    // ip 3 of 5 left, credential 1 of 3, sign-in 1 of 2 (ip and email): the first tightest wins a tie.
    expect(next).toEqual({ limit: 3, remaining: 1, resetSeconds: 60 });
  });

  it('keeps the counters rate-limiter-flexible kept, under the same keys and expiries', async () => {
    const limits = new RateLimits(redis, config);
    await limits.consume({ ip: '203.0.113.2' });
    const key = `${config.RATE_LIMIT_KEY_PREFIX}:ip:203.0.113.2`;
    expect(await redis.get(key)).toBe('1');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(890_000);
    expect(ttl).toBeLessThanOrEqual(900_000);

    // A replica still on RateLimiterRedis spends from the same counter, and this one sees its points.
    const previous = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.RATE_LIMIT_KEY_PREFIX}:ip`,
      points: 5,
      duration: 900,
    });
    expect((await previous.consume('203.0.113.2')).consumedPoints).toBe(2);
    expect((await limits.consume({ ip: '203.0.113.2' })).tightest?.remaining).toBe(2);
  });

  it('gives a counter that lost its expiry one again', async () => {
    const key = `${config.RATE_LIMIT_KEY_PREFIX}:cred:api_key:persisted`;
    await redis.set(key, '1');
    const { tightest } = await new RateLimits(redis, config).consume({ credential: 'api_key:persisted' });
    expect(tightest).toEqual({ limit: 3, remaining: 1, resetSeconds: 60 });
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  it('refuses past the budget with a 429 naming every limit that refused, and the longest wait', async () => {
    const limits = new RateLimits(redis, config);
    const keys = { ip: '203.0.113.3', signInIp: '203.0.113.3', signInEmail: 'b@example.com' };
    await limits.consume(keys);
    await limits.consume(keys);
    const error = await refusal(limits.consume(keys));
    expect(error.code).toBe('RATE_LIMIT_ERROR');
    expect(error.rejectedBy.sort()).toEqual(['signInEmail', 'signInIp']);
    expect(error.meta?.retryAfter).toBe(60);
    expect(error.limitState).toEqual({ limit: 2, remaining: 0, resetSeconds: 60 });
    // The ip limit was still spent: 3 of 5.
    expect(await redis.get(`${config.RATE_LIMIT_KEY_PREFIX}:ip:203.0.113.3`)).toBe('3');
  });

  it('sends nothing when no limit applies', async () => {
    const limits = new RateLimits(redis, config);
    const sent = commandsSent(redis);
    expect(await limits.consume({ apiKeyCreate: undefined })).toEqual({ tightest: null });
    expect(sent).toHaveLength(0);
  });
});

describe('RateLimits with Redis away', () => {
  it('keeps limiting in this replica’s memory (the insurance), with the same answers', async () => {
    const away = new Redis('redis://127.0.0.1:9', { enableOfflineQueue: false, lazyConnect: true });
    away.on('error', () => undefined);
    const limits = new RateLimits(away, config);
    const keys = { ip: '198.51.100.4', credential: 'api_key:away' };
    expect((await limits.consume(keys)).tightest).toEqual({ limit: 3, remaining: 2, resetSeconds: 60 });
    await limits.consume(keys);
    await limits.consume(keys);
    const error = await refusal(limits.consume(keys));
    expect(error.rejectedBy).toEqual(['credential']);
    expect(error.limitState.remaining).toBe(0);
    away.disconnect();
  });
});
