import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
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
  ) {}

  static nats(): PrivateServer {
    return new PrivateServer(
      process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server',
      (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
      'nats',
    );
  }

  static redis(): PrivateServer {
    return new PrivateServer(
      process.env.REDIS_SERVER_BIN ?? 'redis-server',
      (port, dir) => ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
      'redis',
    );
  }

  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.process = spawn(this.binary, this.args(this.port, this.dataDir), { stdio: 'ignore' });
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
