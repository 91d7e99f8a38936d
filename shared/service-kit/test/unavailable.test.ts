import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, dropDatabase, initOrm, isDatabaseUnavailable, type Orm } from '../src/index.js';
import { eventually, TcpRelay, testNamespace } from '../src/testing.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('isDatabaseUnavailable (what pg says without a code)', () => {
  it.each([
    ['a connection dropped under a query', new Error('Connection terminated unexpectedly'), true],
    ['as knex reports it (SQL first)', new Error('select pg_sleep(2) - Connection terminated unexpectedly'), true],
    [
      'a client that lost its connection',
      new Error('Client has encountered a connection error and is not queryable'),
      true,
    ],
    ['the pool timing out a connect', new Error('Connection terminated due to connection timeout'), true],
    [
      'a transaction whose connection died (knex)',
      new Error('select 1 - Transaction query already complete, run with DEBUG=knex:tx for more info'),
      true,
    ],
    [
      'a NUL byte PostgreSQL refused (22021)',
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }),
      false,
    ],
    [
      'an untranslatable character (22P05)',
      Object.assign(new Error('unsupported Unicode escape sequence'), { code: '22P05' }),
      false,
    ],
  ])('%s → %s', (_name, error, expected) => {
    expect(isDatabaseUnavailable(error)).toBe(expected);
  });

  it.each([
    ['a NUL in a parameter (22021)', 'select $1::text as x', ['a\u0000b'], '22021'],
    ['a NUL escape in jsonb (22P05)', 'select $1::jsonb as x', ['{"a":"\\u0000"}'], '22P05'],
    ['a NUL in the statement text (08P01, the message pg sends is cut short)', "select 'a\u0000b' as x", [], '08P01'],
  ])('what PostgreSQL answers to %s is not an outage', async (_name, sql, params, code) => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const error = await client.query(sql, params).then(
        () => null,
        (failure: unknown) => failure,
      );
      expect(error).toMatchObject({ code });
      expect(isDatabaseUnavailable(error)).toBe(false);
    } finally {
      await client.end().catch(() => undefined);
    }
  });
});

describe('a PostgreSQL connection cut mid-query', () => {
  const relay = new TcpRelay({ host: '127.0.0.1', port: Number(new URL(DATABASE_URL).port || 5432) });
  const ns = testNamespace();
  let databaseUrl = '';
  let orm: Orm;
  const app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1024 });
  app.get('/slow', async () => {
    await orm.em.getConnection().execute(`select pg_sleep(30) as "${ns.id}"`);
    return { slept: true };
  });

  beforeAll(async () => {
    await relay.start();
    const url = new URL(ns.databaseUrl('kit'));
    url.port = String(relay.port);
    databaseUrl = url.toString();
    orm = await initOrm({ databaseUrl, entities: [], migrations: [] });
  });
  afterAll(async () => {
    await relay.restore().catch(() => undefined);
    await orm?.close(true);
    await app.close();
    await dropDatabase(ns.databaseUrl('kit'));
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After, not 500', async () => {
    const answer = app.inject({ method: 'GET', url: '/slow' });
    // The query is running on the server before the relay drops it.
    const observer = new pg.Client({ connectionString: DATABASE_URL });
    await observer.connect();
    try {
      await eventually(async () => {
        const running = await observer.query('select 1 from pg_stat_activity where query like $1', [
          `select pg_sleep(30) as "${ns.id}"%`,
        ]);
        expect(running.rowCount).toBe(1);
      });
    } finally {
      await observer.end();
    }
    await relay.cut();
    const res = await answer;
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ success: false, code: 'SERVICE_UNAVAILABLE' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});

describe('a graceful shutdown', () => {
  it('answers a request that arrives while closing with the envelope, a request id and Retry-After', async () => {
    const app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1024 });
    let reached: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => {
      reached = resolve;
    });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answered: string[] = [];
    app.addHook('onSend', async (request) => {
      answered.push(request.url);
    });
    app.get('/slow', async () => {
      reached();
      await released;
      return { done: true };
    });
    app.get('/next', async () => ({ served: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;

    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let response = '';
    socket.on('data', (chunk) => {
      response += chunk;
    });
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await inFlight;
    const closed = app.close();
    // The same keep-alive connection (busy, so the server keeps it) sends its next request.
    socket.write('GET /next HTTP/1.1\r\nHost: x\r\nX-Request-Id: closing-1\r\n\r\n');
    await eventually(async () => expect(answered).toContain('/next'));
    release();
    await closed;
    await socketClosed;

    const [, second] = response.split(/(?=HTTP\/1\.1 )/);
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\nretry-after: \d\r\n/i);
    expect(second).toMatch(/\r\nx-request-id: closing-1\r\n/i);
    const body = JSON.parse(second?.slice(second.indexOf('\r\n\r\n') + 4) ?? '');
    expect(body).toMatchObject({
      success: false,
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      requestId: 'closing-1',
    });
  });
});
