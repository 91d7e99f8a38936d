import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import {
  activeTracer,
  createHttpApp,
  createLogger,
  eventsHandled,
  type HttpApp,
  outboxPublishLag,
  startTracing,
  type Tracing,
  withEventContext,
} from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { PASSWORD, uniqueEmail } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

/** One span as an OTLP/HTTP JSON export carries it, with the resource and scope it came under. */
interface ReceivedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** The span ids this span links to. */
  links: string[];
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

// OTLP's SpanKind numbering (SPAN_KIND_UNSPECIFIED = 0).
const KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

/** A stand-in OpenTelemetry collector: accepts the exporter's POST /v1/traces and keeps every span. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  requests = 0;
  private server: Server | null = null;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests += 1;
        if (request.method === 'POST' && request.url === '/v1/traces') {
          this.collect(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else {
          response.writeHead(404).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private collect(body: OtlpExport): void {
    for (const resourceSpans of body.resourceSpans ?? []) {
      const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            service,
            scope: scopeSpans.scope?.name ?? '',
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            links: (span.links ?? []).map((link) => link.spanId),
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
          });
        }
      }
    }
  }
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      scope?: { name: string };
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        links?: Array<{ traceId: string; spanId: string }>;
        name: string;
        kind: number;
        attributes?: OtlpAttribute[];
      }>;
    }>;
  }>;
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries(
    (list ?? []).map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue]),
  );
}

/** A W3C traceparent of a client's own (sampled) span. */
function clientTraceparent(): { header: string; traceId: string; spanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${spanId}-01`, traceId, spanId };
}

/** An app built by createHttpApp whose log lines are kept: a request logs through both of a service's loggers. */
async function probeApp(): Promise<{ app: HttpApp; url: string; lines: Array<Record<string, unknown>> }> {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger('probe', 'info', sink);
  const app = createHttpApp({ logger, bodyLimit: 1024 });
  // As routeServer runs a service's handlers: inside the request's event context.
  app.post('/probe', (request) =>
    withEventContext({ requestId: request.id }, async () => {
      request.log.info('request logger line');
      logger.info('service logger line');
      return { ok: true, body: request.body };
    }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, lines, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

const receiver = new OtlpReceiver();
let receiverUrl: string;
let tracing: Tracing | null = null;
let stack: Stack | null = null;

beforeAll(async () => {
  receiverUrl = await receiver.start();
});
afterAll(async () => {
  await stack?.close();
  await tracing?.shutdown();
  await receiver.stop();
});

// In order: tracing off first (nothing registered yet in this process), then on for the rest of the file.
describe.sequential('tracing off', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT: no provider, no hooks, nothing exported, no trace ids', async () => {
    const off = startTracing('probe', { OTEL_SERVICE_NAME: 'probe' });
    expect(off.enabled).toBe(false);
    expect(activeTracer()).toBeNull();
    const probe = await probeApp();
    // Not even the request decoration: with tracing off the request path has no tracing work at all.
    expect(probe.app.hasRequestDecorator('traceContext')).toBe(false);
    const { header } = clientTraceparent();
    const answer = await fetch(`${probe.url}/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: header },
      body: '{"a":1}',
    });
    expect(answer.status).toBe(200);
    await off.forceFlush();
    await probe.app.close();
    expect(probe.lines.length).toBeGreaterThanOrEqual(3);
    for (const line of probe.lines) expect(line).not.toHaveProperty('trace_id');
    expect(probe.lines.find((line) => line.msg === 'request logger line')).toHaveProperty('requestId');
    expect(probe.lines.find((line) => line.msg === 'service logger line')).toHaveProperty('requestId');
    expect(receiver.requests).toBe(0);
  });
});

describe.sequential('tracing on', () => {
  beforeAll(() => {
    tracing = startTracing('gatehouse-e2e', { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl });
  });

  it('puts the trace id and the request id on every log line written inside a request', async () => {
    expect(tracing?.enabled).toBe(true);
    expect(activeTracer()).not.toBeNull();
    const probe = await probeApp();
    const client = clientTraceparent();
    // A body: the span must stay active across fastify's body parsing, into the handler.
    const answer = await fetch(`${probe.url}/probe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: client.header, 'x-request-id': 'probe-request-1' },
      body: '{"a":1}',
    });
    expect(answer.status).toBe(200);
    await probe.app.close();
    const inside = probe.lines.filter((line) => line.requestId === 'probe-request-1');
    expect(inside.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['incoming request', 'request logger line', 'service logger line', 'request completed']),
    );
    for (const line of inside) {
      expect(line.trace_id).toBe(client.traceId);
      expect(line.span_id).toMatch(/^[0-9a-f]{16}$/);
      expect(line.span_id).not.toBe(client.spanId);
    }
    // The service's own logger had no requestId binding: the mixin added it, once.
    const own = probe.lines.find((line) => line.msg === 'service logger line');
    expect(own?.requestId).toBe('probe-request-1');
  });

  it('follows one request from the gateway through identity and over NATS into the organization consumer', {
    timeout: 120_000,
  }, async () => {
    stack = await startStack({ RATE_LIMIT_SIGN_UP_MAX: '1000' });
    const client = clientTraceparent();
    const anonymous = new ApiClient(stack.urls.gateway, { traceparent: client.header });
    const email = uniqueEmail('traced');
    const signUp = await anonymous.post('/api/auth/sign-up/email', {
      email,
      password: PASSWORD,
      name: 'Traced User',
    });
    expect(signUp.status).toBe(200);

    // At the edge the client's span is a link, not a parent: the gateway starts the trace.
    const gatewaySpan = await eventually(
      async () => {
        await tracing?.forceFlush();
        const span = receiver.spans.find((candidate) => candidate.links.includes(client.spanId));
        if (!span) throw new Error('no span links to the client yet');
        return span;
      },
      30_000,
      200,
    );
    expect(gatewaySpan.scope).toBe('gateway');
    expect(gatewaySpan.traceId).not.toBe(client.traceId);
    expect(gatewaySpan.parentSpanId).toBe('');
    expect(receiver.spans.filter((span) => span.traceId === client.traceId)).toEqual([]);

    // user.registered leaves identity's outbox and reaches the organization service's consumer.
    const inTrace = () => receiver.spans.filter((span) => span.traceId === gatewaySpan.traceId);
    const consumed = await eventually(
      async () => {
        await tracing?.forceFlush();
        const span = inTrace().find(
          (candidate) => candidate.kind === KIND.consumer && candidate.scope === 'organization',
        );
        if (!span) throw new Error(`no consumer span yet: ${JSON.stringify(inTrace().map((s) => s.name))}`);
        return span;
      },
      30_000,
      200,
    );

    const spans = inTrace();
    // Nothing the person sent, and no credential, is in any span the collector receives.
    const exported = JSON.stringify(receiver.spans);
    for (const secret of [email, PASSWORD, 'gatehouse_session', 'Bearer ']) expect(exported).not.toContain(secret);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const gateway = spans.find((span) => span.scope === 'gateway' && span.kind === KIND.server);
    expect(gateway, 'the gateway server span').toBeDefined();
    expect(gateway?.spanId).toBe(gatewaySpan.spanId);
    expect(gateway?.attributes['http.response.status_code']).toBe(200);

    const identity = spans.find((span) => span.scope === 'identity' && span.kind === KIND.server);
    expect(identity, 'the identity server span').toBeDefined();
    expect(identity?.parentSpanId).toBe(gateway?.spanId);
    expect(identity?.attributes['http.route']).toBe('/api/auth/sign-up/email');

    // The consumer's parent is the outbox relay's producer span, whose parent is the request that recorded the event.
    const producer = byId.get(consumed.parentSpanId);
    expect(producer?.kind).toBe(KIND.producer);
    expect(producer?.scope).toBe('identity');
    expect(producer?.name).toMatch(/^publish .*user\.registered$/);
    expect(producer?.parentSpanId).toBe(identity?.spanId);
    expect(consumed.name).toMatch(/^process .*user\.registered$/);
    expect(consumed.attributes['messaging.consumer.group.name']).toBe('organization-users');

    // The resource names the process that started tracing; every span in the trace is under it.
    expect(new Set(spans.map((span) => span.service))).toEqual(new Set(['gatehouse-e2e']));

    // The same flow feeds the dashboard's outbox and consumer lag metrics (infra/grafana/gatehouse.json).
    const handled = (await eventsHandled.get()).values.find(
      (sample) => sample.labels.durable === 'organization-users' && sample.labels.outcome === 'handled',
    );
    expect(handled?.value).toBeGreaterThanOrEqual(1);
    const published = (await outboxPublishLag.get()).values.find((sample) => sample.metricName?.endsWith('_count'));
    expect(published?.value).toBeGreaterThanOrEqual(1);
  });
});
