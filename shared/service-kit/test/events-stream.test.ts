import { afterAll, describe, expect, it } from 'vitest';
import { connectMessaging, createLogger, type Logger, type Messaging } from '../src/index.js';
import { testNamespace } from '../src/testing.js';

/** The events stream as the first service creates it, and what a later one says about an existing one. */
const ns = testNamespace();
const opened: Messaging[] = [];
const warnings: string[] = [];
const logger = createLogger('events-stream-test', 'silent');
const recording = new Proxy(logger, {
  get(target, key) {
    if (key === 'warn') return (_fields: unknown, message: string) => warnings.push(message);
    return Reflect.get(target, key);
  },
}) as Logger;

async function open(streamReplicas?: number): Promise<Messaging> {
  const messaging = await connectMessaging({
    url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    name: 'events-stream-test',
    stream: ns.stream,
    subjectPrefix: ns.subjectPrefix,
    logger: recording,
    ...(streamReplicas === undefined ? {} : { streamReplicas }),
  });
  opened.push(messaging);
  return messaging;
}

afterAll(async () => {
  await opened[0]?.jsm.streams.delete(ns.stream).catch(() => undefined);
  for (const messaging of opened) await messaging.nc.close();
});

describe('the events stream', () => {
  it('is created once with one replica by default, under this namespace, keeping a dedupe window', async () => {
    const messaging = await open();
    const info = await messaging.jsm.streams.info(ns.stream);
    expect(info.config.num_replicas).toBe(1);
    expect(info.config.subjects).toEqual([`${ns.subjectPrefix}events.>`]);
    expect(info.config.duplicate_window).toBeGreaterThan(0);
  });

  it('is left as it is when it exists with fewer replicas than configured, with a warning naming the fix', async () => {
    const messaging = await open(3);
    expect((await messaging.jsm.streams.info(ns.stream)).config.num_replicas).toBe(1);
    expect(warnings).toEqual([expect.stringContaining(`nats stream edit ${ns.stream} --replicas 3`)]);
  });
});
