import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import type { HttpApp } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/app.js';
import { createGatewayDeps, type GatewayDeps } from '../src/deps.js';
import { standaloneGatewayConfig } from './standalone.js';

/** A gateway on its own (real Redis and NATS); these tests never get past its edge. */
const started: Array<{ app: HttpApp; deps: GatewayDeps }> = [];
async function startGateway(overrides: Record<string, string>): Promise<number> {
  const config = await standaloneGatewayConfig(overrides);
  const deps = await createGatewayDeps(config);
  const app = await buildGateway(deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  started.push({ app, deps });
  return (app.server.address() as AddressInfo).port;
}

/** A raw TCP client that records whether the server closed it and what it answered. */
interface Probe {
  socket: Socket;
  closed: boolean;
  received: string;
}
const probes: Probe[] = [];
const trickles: NodeJS.Timeout[] = [];

function open(port: number, localAddress = '127.0.0.1'): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const probe: Probe = { socket, closed: false, received: '' };
    probes.push(probe);
    socket.on('data', (chunk) => {
      probe.received += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      probe.closed = true;
    });
    socket.once('connect', () => resolve(probe));
    socket.once('error', reject);
  });
}

/** Sends `text` one byte a second, the way a slowloris client does. */
function trickle(probe: Probe, text: string): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (probe.closed || sent >= text.length) return clearInterval(timer);
    probe.socket.write(text[sent] ?? '');
    sent += 1;
  }, 1000);
  trickles.push(timer);
  probe.socket.write(text[sent++] ?? '');
}

async function roundTrip(port: number, localAddress: string): Promise<string> {
  const probe = await open(port, localAddress);
  probe.socket.write('GET /api/not-a-route HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n');
  await eventually(async () => expect(probe.closed).toBe(true), 5000);
  return probe.received.split('\r\n')[0] ?? '';
}

afterEach(() => {
  for (const timer of trickles.splice(0)) clearInterval(timer);
  for (const probe of probes.splice(0)) probe.socket.destroy();
});
afterAll(async () => {
  for (const { app, deps } of started) {
    await app.close();
    await deps.close();
  }
});

describe('gateway edges: slow clients', () => {
  it('closes connections that send their headers one byte a second, once the header time is up', async () => {
    const port = await startGateway({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '3000' });
    const slow = await Promise.all(Array.from({ length: 5 }, () => open(port)));
    for (const probe of slow) trickle(probe, `GET /api/user/me HTTP/1.1\r\nHost: gateway\r\nX-Slow: ${'a'.repeat(60)}`);
    await eventually(async () => expect(slow.map((probe) => probe.closed)).toEqual(slow.map(() => true)), 6000, 100);
    for (const probe of slow) {
      expect(probe.received).toMatch(/^HTTP\/1\.1 408/);
      expect(probe.received).toContain('"code":"REQUEST_TIMEOUT"');
    }
  });

  it('closes a connection that sends nothing at all, once the header time is up', async () => {
    const port = await startGateway({ HEADERS_TIMEOUT_MS: '1000' });
    const silent = await open(port);
    await eventually(async () => expect(silent.closed).toBe(true), 5000, 100);
  });

  it('closes a connection whose body arrives one byte a second, once the request time is up', async () => {
    const port = await startGateway({ HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000' });
    const probe = await open(port);
    probe.socket.write(
      'POST /api/auth/sign-in/email HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n',
    );
    trickle(probe, `{"email":"${'a'.repeat(190)}`);
    await eventually(async () => expect(probe.closed).toBe(true), 7000, 100);
    expect(probe.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a connection beyond the per-IP cap at once, while another address still connects', async () => {
    const port = await startGateway({ MAX_CONNECTIONS_PER_IP: '3' });
    const held = [await open(port), await open(port), await open(port)];
    const beyond = await open(port);
    await eventually(async () => expect(beyond.closed).toBe(true), 3000);
    expect(beyond.received).toBe('');
    expect(held.map((probe) => probe.closed)).toEqual([false, false, false]);

    expect(await roundTrip(port, '127.0.0.2')).toBe('HTTP/1.1 404 Not Found');
    // A closed connection gives its place back.
    held[0]?.socket.destroy();
    await eventually(async () => expect(await roundTrip(port, '127.0.0.1')).toBe('HTTP/1.1 404 Not Found'), 3000);
  });
});
