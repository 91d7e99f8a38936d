import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A port that is free now, for a server that must know its port before it listens. Picked at random
 * below Linux's ephemeral range (32768+): a port the kernel hands out for `listen(0)` or an outgoing
 * connection could be taken by another suite between this check and the listen (EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitForPort(port: number, open: boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (isOpen === open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`port ${port} did not ${open ? 'open' : 'close'}`);
}

/**
 * A private instance of a real server binary (nats-server, redis-server) on a free loopback
 * port, which a test may stop and start without disturbing the shared one other suites use.
 */
export class PrivateServer {
  private process: ChildProcess | null = null;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'gh-server-'));
  port = 0;

  constructor(
    private readonly binary: string,
    private readonly args: (port: number, dataDir: string) => string[],
    private readonly scheme: string,
    /** Extra environment for the binary (a config file's `$VAR`s), given the data directory. */
    private readonly env: (dataDir: string) => Record<string, string> = () => ({}),
  ) {}

  static nats(): PrivateServer {
    return new PrivateServer(
      process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server',
      (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
      'nats',
    );
  }

  static redis(extraArgs: string[] = []): PrivateServer {
    return new PrivateServer(
      process.env.REDIS_SERVER_BIN ?? 'redis-server',
      (port, dir) => [
        ...['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
        ...extraArgs,
      ],
      'redis',
    );
  }

  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.process = spawn(this.binary, this.args(this.port, this.dataDir), {
      stdio: 'ignore',
      env: { ...process.env, ...this.env(this.dataDir) },
    });
    await waitForPort(this.port, true);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child) return;
    this.process = null;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    await waitForPort(this.port, false);
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * A TCP relay in front of a real server (PostgreSQL on 5432, say): a test points a service at
 * the relay and cuts it to see the service lose its dependency, without touching the shared
 * server other suites use. `cut()` drops every connection and refuses new ones; `restore()`
 * accepts again on the same port.
 */
export class TcpRelay {
  private server: Server | null = null;
  private sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens (again) on the relay's port; a no-op while it already does. */
  async start(): Promise<number> {
    if (this.server) return this.port;
    if (this.port === 0) this.port = await freePort();
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return this.port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  restore(): Promise<number> {
    return this.start();
  }
}
