import { setTimeout as sleep } from 'node:timers/promises';
import { Migration } from '@mikro-orm/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, initOrm, isDatabaseUnavailable, KIT_TABLES_SQL, type Orm } from '../src/index.js';
import { testNamespace } from '../src/testing.js';

/**
 * A transaction left idle — its process frozen or cut off from PostgreSQL while holding row locks — is ended by
 * PostgreSQL after the kit's idle-in-transaction timeout, so others waiting on its locks go on.
 */
class Schema extends Migration {
  override async up(): Promise<void> {
    for (const sql of KIT_TABLES_SQL) this.addSql(sql);
    this.addSql('create table counters (id int primary key, n int not null)');
    this.addSql('insert into counters (id, n) values (1, 0)');
  }
}

const ns = testNamespace();
let orm: Orm;
let other: pg.Client;

beforeAll(async () => {
  orm = await initOrm({
    databaseUrl: ns.databaseUrl('idle'),
    entities: [],
    migrations: [{ name: 'm1', class: Schema }],
    idleInTransactionTimeoutMs: 500,
  });
  other = new pg.Client({ connectionString: ns.databaseUrl('idle') });
  await other.connect();
});

afterAll(async () => {
  await other?.end();
  await orm?.close();
  await dropDatabase(ns.databaseUrl('idle'));
});

describe('a transaction left idle', () => {
  it('is ended with its locks released, and what it wrote is rolled back', async () => {
    let locked: () => void = () => {};
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const stalled = orm.em.fork().transactional(async (em) => {
      await em.execute('update counters set n = n + 1 where id = 1');
      locked();
      // The process stalls here, holding the row, far longer than the timeout.
      await sleep(4_000);
      await em.execute('select 1');
    });
    const outcome = stalled.then(
      () => 'committed',
      (error: unknown) => error,
    );
    await holding;

    // Waits on the row the stalled transaction holds; goes through once PostgreSQL ends that session.
    await other.query('update counters set n = n + 10 where id = 1');

    const error = await outcome;
    expect(error).not.toBe('committed');
    expect(isDatabaseUnavailable(error)).toBe(true);
    const { rows } = await other.query<{ n: number }>('select n from counters where id = 1');
    expect(rows).toEqual([{ n: 10 }]);
  }, 20_000);
});
