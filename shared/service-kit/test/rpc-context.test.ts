import type { EventContext } from '@gatehouse/contracts';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  currentEventContext,
  requestRpc,
  serveRpc,
  withEventContext,
  withoutEventContext,
} from '../src/index.js';
import { Pump } from '../src/pump.js';
import { testNamespace } from '../src/testing.js';

/** A request's context crosses a request/reply call, and never leaks into background work. */
let nc: NatsConnection;
const subject = `${testNamespace().subjectPrefix}context.echo`;
const logger = createLogger('rpc-context', 'silent');

beforeAll(async () => {
  nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  serveRpc<{ n: number }, { n: number; context: EventContext | null }>(nc, subject, logger, async (request) => ({
    n: request.n,
    context: currentEventContext() ?? null,
  }));
  await nc.flush();
});
afterAll(() => nc.close());

const context: EventContext = {
  actor: { type: 'scim', id: '01JG0000000000000000000000' },
  ip: '198.51.100.7',
  userAgent: 'Okta SCIM Client',
  requestId: 'req-rpc-1',
};

describe('the event context over request/reply', () => {
  it('reaches the responder inside the asker’s context, and only then', async () => {
    const inside = await withEventContext(context, () =>
      requestRpc<{ n: number }, { n: number; context: EventContext | null }>(nc, subject, { n: 1 }),
    );
    expect(inside).toEqual({ n: 1, context });
    const outside = await requestRpc<{ n: number }, { context: EventContext | null }>(nc, subject, { n: 2 });
    expect(outside.context).toBeNull();
  });

  it('ignores a context header that is not the catalogue’s shape', async () => {
    const { headers } = await import('nats');
    const forged = headers();
    forged.set('Gatehouse-Event-Context', JSON.stringify({ actor: { type: 'root', id: 1 } }));
    const reply = await nc.request(subject, new TextEncoder().encode('{"n":3}'), { timeout: 2000, headers: forged });
    expect(JSON.parse(new TextDecoder().decode(reply.data)).context).toBeNull();
  });

  it('rebuilds a context from the wire: known fields only, cut to their widths', async () => {
    const { headers } = await import('nats');
    const oversized = headers();
    oversized.set(
      'Gatehouse-Event-Context',
      JSON.stringify({
        ...context,
        userAgent: 'x'.repeat(10_000),
        smuggled: 'extra',
        actor: { ...context.actor, extra: 1 },
      }),
    );
    const reply = await nc.request(subject, new TextEncoder().encode('{"n":4}'), { timeout: 2000, headers: oversized });
    const seen = JSON.parse(new TextDecoder().decode(reply.data)).context;
    expect(seen).toEqual({ ...context, userAgent: 'x'.repeat(512) });
  });

  it('runs a pump kicked from a request outside that request’s context', async () => {
    const seen: Array<EventContext | undefined> = [];
    const pump = new Pump({
      name: 'ctx',
      logger,
      intervalMs: 10,
      pass: async () => void seen.push(currentEventContext()),
    });
    withEventContext(context, () => pump.start());
    await new Promise((resolve) => setTimeout(resolve, 60));
    await pump.stop();
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.every((entry) => entry === undefined)).toBe(true);
    expect(withoutEventContext(() => currentEventContext())).toBeUndefined();
  });
});
