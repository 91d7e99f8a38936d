import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as connectNats } from 'nats';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../../services/project/migrations/index.js';
import {
  createServiceDeps,
  dropDatabase,
  ensureDatabase,
  MIGRATION_LOCK_KEY,
  migrateDatabase,
  PendingMigrationsError,
} from '../src/index.js';
import { eventually, freePort, generatePrincipalKeys, testNamespace, testServiceConfig } from '../src/testing.js';

/**
 * #22: migrations run once per release. Replicas of a service (the project service, the kit's
 * smallest user) run as real processes (its main.ts) and the migrate command as its own (its
 * migrate.ts), as Kubernetes runs them.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ns = testNamespace();
const keys = await generatePrincipalKeys();
const migrationNames = migrations.map((migration) => migration.name);
const children: ChildProcess[] = [];
const databases: string[] = [];

interface Started {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function startProcess(entry: string, env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(root, entry)], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', LOG_PRETTY: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk) => output.push(String(chunk)));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  children.push(child);
  return { child, output, exited };
}

async function startReplica(databaseUrl: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const replica = startProcess('services/project/src/main.ts', {
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    NATS_SUBJECT_PREFIX: ns.subjectPrefix,
    EVENTS_STREAM: ns.stream,
    PRINCIPAL_PUBLIC_KEY: keys.publicKeyPem,
    ...env,
  });
  return { ...replica, url: `http://127.0.0.1:${port}` };
}

async function readyz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every pino line a process wrote, parsed; a line that is not JSON is kept as its text. */
function logLines(output: string[]): Array<{ level?: number; msg?: string; migrations?: string[] }> {
  return output
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        return { msg: line };
      }
    });
}

async function query<R extends pg.QueryResultRow>(databaseUrl: string, sql: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
  }
  for (const databaseUrl of databases) await dropDatabase(databaseUrl).catch(() => undefined);
  const nc = await connectNats({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  await (await nc.jetstreamManager()).streams.delete(ns.stream).catch(() => undefined);
  await nc.close();
}, 60_000);

describe('migrations once per release', () => {
  it('three replicas started at once on an empty database apply the schema exactly once and all serve', async () => {
    const databaseUrl = ns.databaseUrl('project');
    databases.push(databaseUrl);
    // The database exists and is empty. The test holds the migration lock while the replicas start,
    // so all three contend for it for certain rather than by the timing of three process starts.
    await ensureDatabase(databaseUrl);
    const holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    let released = false;
    try {
      await holder.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
      const replicas = await Promise.all([0, 1, 2].map(() => startReplica(databaseUrl)));
      await eventually(
        async () => {
          const [waiting] = await query<{ count: string }>(
            databaseUrl,
            `select count(*) from pg_locks where locktype = 'advisory' and not granted
               and database = (select oid from pg_database where datname = current_database())`,
          );
          expect(Number(waiting?.count)).toBe(3);
        },
        120_000,
        250,
      );
      // Waiting for the lock is waiting for dependencies: alive, not ready, nothing applied yet.
      for (const replica of replicas) expect((await readyz(replica.url)).status).toBe(503);
      const [table] = await query<{ present: boolean }>(
        databaseUrl,
        "select to_regclass('mikro_orm_migrations') is not null as present",
      );
      expect(table?.present).toBe(false);

      await holder.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      released = true;
      for (const replica of replicas) {
        await eventually(async () => expect((await readyz(replica.url)).status).toBe(200), 60_000, 250);
      }

      const rows = await query<{ name: string; count: string }>(
        databaseUrl,
        'select name, count(*) from mikro_orm_migrations group by name order by name',
      );
      expect(rows.map((row) => [row.name, Number(row.count)])).toEqual(
        [...migrationNames].sort().map((name) => [name, 1]),
      );
      const logs = replicas.map((replica) => logLines(replica.output));
      // One replica applied every migration; the two that waited found nothing pending.
      const appliers = logs.filter((lines) => lines.some((line) => /^applied \d+ migration/.test(line.msg ?? '')));
      expect(appliers).toHaveLength(1);
      expect(appliers[0]?.find((line) => line.migrations)?.migrations).toEqual(migrationNames);
      for (const lines of logs) {
        expect(lines.some((line) => /waiting for the migration lock/.test(line.msg ?? ''))).toBe(true);
        expect(lines.filter((line) => (line.level ?? 0) >= 50)).toEqual([]);
      }
    } finally {
      if (!released) await holder.query('select pg_advisory_unlock_all()').catch(() => undefined);
      await holder.end();
    }
  }, 240_000);

  it('with MIGRATE_ON_START=false a replica with pending migrations does not serve until the migrate command ran', async () => {
    const databaseUrl = ns.databaseUrl('project_old');
    databases.push(databaseUrl);
    // The previous release's schema: its first migration only.
    const [first, ...rest] = migrations;
    if (!first || rest.length === 0) throw new Error('the project service needs two migrations for this test');
    await migrateDatabase({ entities: [], migrations: [first] }, databaseUrl);
    const pending = rest.map((migration) => migration.name);

    const replica = await startReplica(databaseUrl, { MIGRATE_ON_START: 'false' });
    const notReady = await eventually(
      async () => {
        const answer = await readyz(replica.url);
        expect(answer.body.meta).toMatchObject({ waitingFor: 'migrations' });
        return answer;
      },
      120_000,
      250,
    );
    expect(notReady.status).toBe(503);
    const warning = await eventually(async () => {
      const found = logLines(replica.output).find((line) => /pending migration/.test(line.msg ?? ''));
      expect(found).toBeDefined();
      return found?.msg ?? '';
    }, 10_000);
    expect(warning).toContain('MIGRATE_ON_START is false');
    expect(warning).toContain('node services/project/dist/src/migrate.js');
    for (const name of pending) expect(warning).toContain(name);
    // It refused to serve and left the schema alone.
    const ordinary = await fetch(`${replica.url}/api/user/organizations`, { signal: AbortSignal.timeout(5000) });
    expect(ordinary.status).toBe(503);
    expect((await query<{ name: string }>(databaseUrl, 'select name from mikro_orm_migrations')).length).toBe(1);

    const migrate = startProcess('services/project/src/migrate.ts', { DATABASE_URL: databaseUrl });
    expect(await migrate.exited).toBe(0);
    const applied = logLines(migrate.output).find((line) => /^applied \d+ migration/.test(line.msg ?? ''));
    expect(applied?.migrations).toEqual(pending);
    // Run again (a retried Job), it has nothing to do and still succeeds.
    const again = startProcess('services/project/src/migrate.ts', { DATABASE_URL: databaseUrl });
    expect(await again.exited).toBe(0);
    expect(logLines(again.output).some((line) => /nothing to apply/.test(line.msg ?? ''))).toBe(true);

    await eventually(async () => expect((await readyz(replica.url)).status).toBe(200), 60_000, 250);
    expect(logLines(replica.output).filter((line) => (line.level ?? 0) >= 50)).toEqual([]);
  }, 240_000);

  it('with MIGRATE_ON_START=false a database that does not exist yet is all pending, and is left uncreated', async () => {
    const config = testServiceConfig('project_none', ns, keys, { MIGRATE_ON_START: false });
    const failure = await createServiceDeps({ name: 'project', entities: [], migrations }, config).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(PendingMigrationsError);
    expect((failure as PendingMigrationsError).pending).toEqual(migrationNames);
    const name = new URL(config.DATABASE_URL).pathname.slice(1);
    const base = new URL(config.DATABASE_URL);
    base.pathname = '/postgres';
    expect(await query(base.toString(), 'select 1 from pg_database where datname = $1', [name])).toEqual([]);
  });
});
