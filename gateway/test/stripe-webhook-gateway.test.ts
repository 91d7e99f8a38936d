import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { successEnvelope } from '@gatehouse/contracts';
import type { HttpApp } from '@gatehouse/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildGateway } from '../src/app.js';
import { createGatewayDeps, type GatewayDeps } from '../src/deps.js';
import { standaloneGatewayConfig } from './standalone.js';

/**
 * POST /api/webhooks/stripe at a real gateway (real Redis and NATS) in front of a stand-in billing
 * service that records the digest of the bytes it received: Stripe's signature is over those bytes,
 * so the gateway must not re-encode them.
 */
interface Received {
  sha256: string;
  length: number;
  contentType: string | undefined;
  signature: string | undefined;
}

const PATH = '/api/webhooks/stripe';
const SIGNATURE = 't=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=abc';
/** Pretty, oddly spaced, with raw and escaped non-ASCII text: JSON.stringify(JSON.parse(it)) differs from it. */
const DELIVERY =
  '{\n    "id" :  "evt_1",\t"object":"event" ,\r\n  "data": { "object": { "name": "Zoë Ünïcode €  😀", ' +
  '"escaped": "\\u00e9\\ud83d\\ude00", "amount": 1.50e3, "empty": {  } } }\n}\n';
const sha256 = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');

let received: Received[] = [];
let billing: FastifyInstance;
let gateway: { app: HttpApp; deps: GatewayDeps };

/** The billing service's side: it reads the body as bytes (as the real one does, to verify it). */
async function standInBilling(): Promise<FastifyInstance> {
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post(PATH, async (request) => {
    const body = request.body as Buffer;
    const signature = request.headers['stripe-signature'];
    received.push({
      sha256: sha256(body),
      length: body.length,
      contentType: request.headers['content-type'],
      signature: typeof signature === 'string' ? signature : undefined,
    });
    return successEnvelope(200, 'Event received', { received: true, duplicate: false });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

const deliver = (payload: string, headers: Record<string, string> = {}, remoteAddress = '10.1.0.1') =>
  gateway.app.inject({
    method: 'POST',
    url: PATH,
    remoteAddress,
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': SIGNATURE, ...headers },
    payload,
  });

beforeAll(async () => {
  billing = await standInBilling();
  const config = await standaloneGatewayConfig({
    BILLING_URL: `http://127.0.0.1:${(billing.server.address() as AddressInfo).port}`,
    BODY_LIMIT: '2048',
    RATE_LIMIT_IP_MAX: '2',
    RATE_LIMIT_STRIPE_WEBHOOK_MAX: '4',
  });
  const deps = await createGatewayDeps(config);
  const app = await buildGateway(deps);
  await app.ready();
  gateway = { app, deps };
});

afterAll(async () => {
  await gateway?.app.close();
  await gateway?.deps.close();
  await billing?.close();
});

beforeEach(() => {
  received = [];
});

describe('POST /api/webhooks/stripe through the gateway', () => {
  it('reaches billing byte for byte, with its Stripe-Signature and content type untouched', async () => {
    expect(JSON.stringify(JSON.parse(DELIVERY))).not.toBe(DELIVERY);
    const response = await deliver(DELIVERY);
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual({ received: true, duplicate: false });
    expect(received).toEqual([
      {
        sha256: sha256(DELIVERY),
        length: Buffer.byteLength(DELIVERY),
        contentType: 'application/json; charset=utf-8',
        signature: SIGNATURE,
      },
    ]);
  });

  it('forwards a body that is not even valid JSON as it is: billing verifies before parsing', async () => {
    const response = await deliver('{"id": "evt_2", oops', {}, '10.1.0.2');
    expect(response.statusCode).toBe(200);
    expect(received[0]?.sha256).toBe(sha256('{"id": "evt_2", oops'));
  });

  it('refuses an oversized body with 413 at the edge', async () => {
    const response = await deliver(`{"pad":"${'x'.repeat(4096)}"}`, {}, '10.1.0.3');
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('PAYLOAD_TOO_LARGE');
    expect(received).toEqual([]);
  });

  it('refuses another media type with 415 at the edge', async () => {
    const response = await deliver(DELIVERY, { 'content-type': 'text/plain' }, '10.1.0.4');
    expect(response.statusCode).toBe(415);
    expect(response.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(received).toEqual([]);
  });

  it('answers another method on the path 404, as for any route the table lacks', async () => {
    const response = await gateway.app.inject({ method: 'GET', url: PATH, remoteAddress: '10.1.0.5' });
    expect(response.statusCode).toBe(404);
    expect(received).toEqual([]);
  });

  it('spends its own per-IP budget in place of the /api one', async () => {
    const ip = '10.1.0.6';
    // RATE_LIMIT_IP_MAX is 2: the third delivery would be refused if it spent the /api budget.
    for (let sent = 1; sent <= 4; sent += 1) {
      const response = await deliver(DELIVERY, {}, ip);
      expect(response.statusCode).toBe(200);
      expect(response.headers['ratelimit-limit']).toBe('4');
      expect(response.headers['ratelimit-remaining']).toBe(String(4 - sent));
    }
    const refused = await deliver(DELIVERY, {}, ip);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
    expect(received).toHaveLength(4);
    // Another route from that address still has its whole /api budget.
    const other = await gateway.app.inject({ method: 'GET', url: '/api/user/sessions', remoteAddress: ip });
    expect(other.headers['ratelimit-limit']).toBe('2');
    expect(other.headers['ratelimit-remaining']).toBe('1');
    expect(other.statusCode).toBe(401);
  });
});
