import { createLogger, dropDatabase, initOrm, type Orm } from '@gatehouse/service-kit';
import { eventually, TcpRelay, testNamespace } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LastUsedTracker } from '../src/api-keys/last-used.js';
import { identityService } from '../src/definition.js';

/** Identity's real schema; the tracker reaches it through a relay the test cuts, the checks around it. */
const relay = new TcpRelay({ host: '127.0.0.1', port: 5432 });
const ns = testNamespace();
const logger = createLogger('last-used-test', 'silent');
let tracked: Orm;
let direct: Orm;

async function lastUsedAt(id: string): Promise<number | null> {
  const rows = await direct.em
    .fork()
    .execute<Array<{ at: string | null }>>('select last_used_at as at from api_keys where id = ?', [id]);
  return rows[0]?.at ? new Date(rows[0].at).getTime() : null;
}

beforeAll(async () => {
  await relay.start();
  const databaseUrl = ns.databaseUrl('lastused');
  direct = await initOrm({ databaseUrl, ...identityService, logger });
  const throughRelay = new URL(databaseUrl);
  throughRelay.port = String(relay.port);
  tracked = await initOrm({ databaseUrl: throughRelay.toString(), ...identityService, logger });
  await direct.em.fork().execute(
    `insert into users (id, email, password_hash, full_name, handle, created_at, updated_at)
     values ('01USER000000000000000000LU', 'lu@example.test', 'x', 'Last Used', 'last-used', now(), now())`,
  );
  for (const id of ['key_a', 'key_b']) {
    await direct.em.fork().execute(
      `insert into api_keys (id, user_id, name, key_hash, start, scopes, created_at, updated_at)
       values (?, '01USER000000000000000000LU', ?, ?, 'gh_', '[]', now(), now())`,
      [id, id, id.padEnd(64, '0')],
    );
  }
});
afterAll(async () => {
  await relay.restore();
  await tracked?.close();
  await direct?.close();
  await dropDatabase(ns.databaseUrl('lastused'));
});

describe('LastUsedTracker', () => {
  it('keeps a batch whose flush failed, merged with newer notes (newest wins), and writes it when PostgreSQL is back', async () => {
    const tracker = new LastUsedTracker(tracked.em, logger, 60_000);
    tracker.note('key_a');
    tracker.note('key_b');
    await relay.cut();
    await expect(tracker.flush()).rejects.toThrow();

    // A newer note for key_b arrives while the failed batch waits.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = Date.now();
    tracker.note('key_b');
    expect(await lastUsedAt('key_a')).toBeNull();

    await relay.restore();
    await eventually(() => tracker.flush(), 10_000, 100);
    expect(await lastUsedAt('key_a')).not.toBeNull();
    expect(await lastUsedAt('key_b')).toBeGreaterThanOrEqual(newer);
    await tracker.stop();
  });

  it('runs its flush on the kit Pump: a failing pass is retried, never an unhandled rejection', async () => {
    const tracker = new LastUsedTracker(tracked.em, logger, 50);
    await relay.cut();
    tracker.note('key_a');
    tracker.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await lastUsedAt('key_a');
    await relay.restore();
    await eventually(async () => expect(await lastUsedAt('key_a')).toBeGreaterThan(before ?? 0), 15_000, 100);
    await tracker.stop();
  });
});
