import { execFileSync } from 'node:child_process';
import type { LookupAddress } from 'node:dns';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LookupAll } from '../src/deliveries/guard.js';
import { type SenderOptions, sendWebhook } from '../src/deliveries/sender.js';
import { webhookHeaders } from '../src/deliveries/signature.js';
import { ConnectionCounter, TestReceiver, verify } from './deliveries-support.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const body = JSON.stringify({ type: 'member.added', timestamp: new Date().toISOString(), data: { seq: 1 } });
const message = (url: string) => ({ url, body, headers: webhookHeaders('msg_1', [SECRET], body) });
const open: SenderOptions = { allowPrivate: true, timeoutMs: 2000, maxResponseBytes: 65_536 };
const guarded: SenderOptions = { ...open, allowPrivate: false };

/** A resolver answering fixed addresses, as a hostile or rebinding DNS server would. */
const resolvingTo =
  (...addresses: string[]): LookupAll =>
  (_hostname, callback) =>
    callback(
      null,
      addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
    );

describe('webhook sender', () => {
  const receiver = new TestReceiver();
  const counter = new ConnectionCounter();
  let countedPort: number;

  beforeAll(async () => {
    await receiver.start();
    countedPort = await counter.start();
  });
  afterAll(async () => {
    await receiver.stop();
    await counter.stop();
  });

  it('POSTs the signed body and reports a 2xx as a success', async () => {
    receiver.respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    };
    const sent = await sendWebhook(message(receiver.url('/hooks/ok')), open);
    expect(sent).toMatchObject({ ok: true, statusCode: 200, responseExcerpt: 'thanks', error: null });
    const request = receiver.requests.at(-1)!;
    expect(request.body).toBe(body);
    expect(verify(SECRET, request)).toMatchObject({ data: { seq: 1 } });
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  describe('with private addresses refused (WEBHOOK_ALLOW_PRIVATE_URLS=false)', () => {
    it.each([
      [`https://127.0.0.1:PORT/hooks`, 'the URL must be on a public address'],
      [`https://[::1]:PORT/hooks`, 'the URL must be on a public address'],
      [`https://[::ffff:127.0.0.1]:PORT/hooks`, 'the URL must be on a public address'],
      // IPv4-compatible IPv6 (::/96, deprecated): ::7f00:1 carries 127.0.0.1.
      [`https://[::7f00:1]:PORT/hooks`, 'the URL must be on a public address'],
      [`https://2130706433:PORT/hooks`, 'the URL must be on a public address'],
      [`https://localhost:PORT/hooks`, 'the URL must be on a public host'],
      [`https://metadata.google.internal:PORT/hooks`, 'the URL must be on a public host'],
      [`http://example.com:PORT/hooks`, 'the URL must be an https URL'],
      [`http://127.0.0.1:PORT/hooks`, 'the URL must be an https URL'],
      ['ftp://example.com/hooks', 'the URL must be an https URL'],
      [`https://user:pass@example.com:PORT/hooks`, 'the URL must not carry a username or password'],
    ])('refuses %s without connecting', async (template, expected) => {
      const before = counter.connections;
      const sent = await sendWebhook(message(template.replace('PORT', String(countedPort))), guarded);
      expect(sent.ok).toBe(false);
      expect(sent.statusCode).toBeNull();
      expect(sent.error).toBe(expected);
      expect(counter.connections).toBe(before);
    });

    it('refuses a host name that resolves to a private address, checked on the connection itself', async () => {
      const before = counter.connections;
      for (const [addresses, refused] of [
        [['10.0.0.5'], '10.0.0.5'],
        [['169.254.169.254'], '169.254.169.254'],
        // One public answer does not make the private one safe: a connection may pick either.
        [['93.184.215.14', '127.0.0.1'], '127.0.0.1'],
        [['fd00::1'], 'fd00::1'],
        [['::7f00:1'], '::7f00:1'],
      ] as const) {
        const sent = await sendWebhook(message(`https://hooks.customer.test:${countedPort}/hooks`), {
          ...guarded,
          lookupAll: resolvingTo(...addresses),
        });
        expect(sent).toMatchObject({ ok: false, statusCode: null, error: `address ${refused} is not public` });
      }
      expect(counter.connections).toBe(before);
    });

    it('says so when a host does not resolve', async () => {
      const sent = await sendWebhook(message('https://nowhere.invalid/hooks'), guarded);
      expect(sent).toMatchObject({ ok: false, statusCode: null, error: 'host nowhere.invalid did not resolve' });
    });
  });

  it('does not follow a redirect', async () => {
    receiver.respond = (request, response) => {
      if (request.path === '/hooks/moved') {
        response.writeHead(302, { location: receiver.url('/hooks/elsewhere') }).end();
        return;
      }
      response.writeHead(204).end();
    };
    const sent = await sendWebhook(message(receiver.url('/hooks/moved')), open);
    expect(sent).toMatchObject({ ok: false, statusCode: 302, error: 'redirect not followed (302)' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.requests.filter((request) => request.path === '/hooks/elsewhere')).toHaveLength(0);
  });

  it('gives up on a slow receiver after the timeout', async () => {
    receiver.respond = (_request, response) => {
      setTimeout(() => response.writeHead(204).end(), 3000).unref();
    };
    const sent = await sendWebhook(message(receiver.url('/hooks/slow')), { ...open, timeoutMs: 300 });
    expect(sent).toMatchObject({ ok: false, statusCode: null, error: 'timed out after 300 ms' });
    expect(sent.latencyMs).toBeGreaterThanOrEqual(290);
    expect(sent.latencyMs).toBeLessThan(1500);
  });

  it('times out a receiver that answers its status and then stalls', async () => {
    receiver.respond = (_request, response) => {
      response.writeHead(200);
      response.write('partial');
    };
    const sent = await sendWebhook(message(receiver.url('/hooks/stalled')), { ...open, timeoutMs: 300 });
    expect(sent).toMatchObject({
      ok: false,
      statusCode: 200,
      responseExcerpt: 'partial',
      error: 'timed out after 300 ms',
    });
  });

  it('reads at most WEBHOOK_MAX_RESPONSE_BYTES of a 10 MB answer and keeps 1024 characters', async () => {
    let finishedWriting = false;
    receiver.respond = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let left = 160; // 160 × 64 KiB = 10 MiB, written as the socket drains
      const pump = () => {
        while (left > 0) {
          left -= 1;
          if (!response.write(chunk)) return response.once('drain', pump);
        }
        response.end(() => {
          finishedWriting = true;
        });
      };
      pump();
    };
    const sent = await sendWebhook(message(receiver.url('/hooks/huge')), { ...open, maxResponseBytes: 65_536 });
    expect(sent).toMatchObject({ ok: true, statusCode: 200, error: null });
    expect(sent.responseExcerpt).toBe('x'.repeat(1024));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(finishedWriting).toBe(false);
  });

  it('sends https with the certificate verified: a self-signed receiver is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-webhook-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    let requests = 0;
    const server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_request, response) => {
        requests += 1;
        response.writeHead(204).end();
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const sent = await sendWebhook(message(`https://127.0.0.1:${port}/hooks`), open);
      expect(sent).toMatchObject({ ok: false, statusCode: null, error: 'TLS failed (DEPTH_ZERO_SELF_SIGNED_CERT)' });
      expect(requests).toBe(0);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a refused connection shortly, without its details', async () => {
    await counter.stop();
    const sent = await sendWebhook(message(`http://127.0.0.1:${countedPort}/hooks`), open);
    expect(sent).toMatchObject({ ok: false, statusCode: null, error: 'connection refused' });
    countedPort = await counter.start();
  });
});
