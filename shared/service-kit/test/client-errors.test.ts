import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, type HttpApp } from '../src/index.js';

let app: HttpApp;
let port: number;

beforeAll(async () => {
  app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1024 });
  app.get('/hello', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await app.close();
});

/** Sends raw bytes and reads what the server answers until it closes the connection. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

function envelopeOf(answer: string) {
  const [head, body] = answer.split('\r\n\r\n');
  return { statusLine: head?.split('\r\n')[0], body: JSON.parse(body ?? 'null') };
}

describe('what the HTTP parser refuses is answered with the envelope', () => {
  it('answers a malformed request line 400 VALIDATION_ERROR', async () => {
    const { statusLine, body } = envelopeOf(await raw('NOT A REQUEST\r\n\r\n'));
    expect(statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(body).toMatchObject({ success: false, status: 400, code: 'VALIDATION_ERROR' });
    expect(typeof body.requestId).toBe('string');
  });

  it('answers headers over the limit 431 HEADERS_TOO_LARGE', async () => {
    const answer = await raw(`GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const { statusLine, body } = envelopeOf(answer);
    expect(statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(body).toMatchObject({ success: false, status: 431, code: 'HEADERS_TOO_LARGE' });
  });

  it('still serves a well-formed request', async () => {
    const answer = await raw('GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });
});
