import { Migration } from '@mikro-orm/migrations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHttpApp,
  createLogger,
  createMetrics,
  dropDatabase,
  guardDatabase,
  initOrm,
  isDatabaseUnavailable,
  KIT_TABLES_SQL,
  type Orm,
} from '../src/index.js';
import { eventually, TcpRelay, testNamespace } from '../src/testing.js';

class KitSchema extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
  }
}

/** The service's PostgreSQL, reached through a relay the test cuts. */
const relay = new TcpRelay({ host: '127.0.0.1', port: 5432 });
const ns = testNamespace();
const metrics = createMetrics('breaker-test', false);
let orm: Orm;
let databaseUrl: string;

async function breakerState(): Promise<number | undefined> {
  const gauge = metrics.registry.getSingleMetric('database_breaker_state');
  return (await gauge?.get())?.values.find((value) => value.labels.database === 'postgres')?.value;
}

const OPEN_MESSAGE = 'PostgreSQL is failing; calls are refused until a trial succeeds';
const query = () => orm.em.fork().execute('select 1 as one');

beforeAll(async () => {
  await relay.start();
  const url = new URL(ns.databaseUrl('breaker'));
  url.port = String(relay.port);
  databaseUrl = url.toString();
  orm = await initOrm({
    databaseUrl,
    entities: [],
    migrations: [{ name: 'kit', class: KitSchema }],
    logger: createLogger('breaker-test', 'silent'),
  });
});
afterAll(async () => {
  await relay.restore();
  await orm?.close();
  await dropDatabase(databaseUrl);
});

describe('the PostgreSQL circuit breaker', () => {
  it('opens while PostgreSQL keeps failing (fast 503s), lets a trial through later, and closes on its success', async () => {
    const breaker = guardDatabase(orm, metrics, {
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      resetTimeoutMs: 500,
      windowMs: 10_000,
    });
    const app = createHttpApp({ logger: createLogger('breaker-test', 'silent'), bodyLimit: 1024 });
    app.get('/count', async () => query());
    expect(await query()).toEqual([{ one: 1 }]);
    expect(await breakerState()).toBe(0);

    await relay.cut();
    // Refused connections count; after a few the breaker refuses on its own, without PostgreSQL.
    const refused = await eventually(async () => {
      const error = await query().then(
        () => null,
        (failure: unknown) => failure,
      );
      // MikroORM wraps it in its DriverException; the message stays.
      expect((error as Error).message).toBe(OPEN_MESSAGE);
      return error;
    }, 20_000);
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(breaker.state).toBe('open');
    expect(await breakerState()).toBe(2);
    const answer = await app.inject({ method: 'GET', url: '/count' });
    expect(answer.statusCode).toBe(503);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    expect(answer.json()).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });

    await relay.restore();
    // After the reset timeout one trial call goes through; its success closes the breaker.
    await eventually(async () => expect(await query()).toEqual([{ one: 1 }]), 20_000, 100);
    expect(breaker.state).toBe('closed');
    expect(await breakerState()).toBe(0);
    expect((await app.inject({ method: 'GET', url: '/count' })).statusCode).toBe(200);
    breaker.shutdown();
    await app.close();
  }, 60_000);
});
