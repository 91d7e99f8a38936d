/**
 * The chaos run's own PostgreSQL, Redis and NATS: real servers on free loopback ports with their
 * data in temporary directories, so stopping one disturbs nothing else on the machine.
 */
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, PrivateServer } from '@gatehouse/service-kit/testing';

const run = promisify(execFile);
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** initdb refuses to run as root: every PostgreSQL binary runs as the `postgres` OS user. */
async function asPostgres(binary: string, args: string[]): Promise<string> {
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
  const { stdout } = await run(command, argv, { timeout: 60_000 });
  return stdout;
}

async function ownedByPostgres(path: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  chownSync(path, uid, gid);
}

/** A private PostgreSQL cluster (trust auth, 127.0.0.1 only), stopped and started with pg_ctl. */
export class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'gh-chaos-pg-'));
  private readonly dataDir = join(this.dir, 'data');
  port = 0;
  private running = false;

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  databaseUrl(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async init(): Promise<void> {
    this.port = await freePort();
    await ownedByPostgres(this.dir);
    await asPostgres(join(PG_BIN, 'initdb'), ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    const conf = [
      `port = ${this.port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${this.dir}'`,
      'max_connections = 200',
      'fsync = off',
      '',
    ].join('\n');
    writeFileSync(join(this.dataDir, 'postgresql.auto.conf'), conf);
    await ownedByPostgres(join(this.dataDir, 'postgresql.auto.conf'));
  }

  async start(): Promise<void> {
    await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, '-l', join(this.dir, 'server.log'), '-w', 'start']);
    this.running = true;
  }

  /** `-m fast`: what an operator's stop does — open sessions are disconnected, then it shuts down. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await asPostgres(join(PG_BIN, 'pg_ctl'), ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
  }

  /** One query through psql (tab-separated rows), for the consistency check. */
  async query(database: string, sql: string): Promise<string[][]> {
    const { stdout } = await run(
      join(PG_BIN, 'psql'),
      ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-d', database, '-At', '-F', '\t', '-c', sql],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\t'));
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Dependencies {
  postgres: PrivatePostgres;
  redis: PrivateServer;
  nats: PrivateServer;
}

export async function startDependencies(): Promise<Dependencies> {
  const postgres = new PrivatePostgres();
  const redis = PrivateServer.redis();
  const nats = PrivateServer.nats();
  await postgres.init();
  await Promise.all([postgres.start(), redis.start(), nats.start()]);
  return { postgres, redis, nats };
}

/**
 * Stops the servers and removes their directories. Bounded: a server that already exited (Ctrl-C
 * reaches the whole process group) never reports its exit again, so its stop is not awaited forever.
 */
export async function destroyDependencies(deps: Partial<Dependencies>): Promise<void> {
  const bounded = (step: Promise<void> | undefined) =>
    Promise.race([step?.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  await Promise.all([bounded(deps.postgres?.destroy()), bounded(deps.redis?.destroy()), bounded(deps.nats?.destroy())]);
  for (const server of [deps.redis, deps.nats]) if (server) rmSync(server.dataDir, { recursive: true, force: true });
}
