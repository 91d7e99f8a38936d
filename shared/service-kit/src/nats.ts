import {
  connect,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  nanos,
  RetentionPolicy,
  StorageType,
} from 'nats';
import type { Logger } from './logger.js';

export interface Messaging {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  /** Puts a subject under this deployment's namespace (empty in production, unique in tests). */
  subject(name: string): string;
}

export interface MessagingOptions {
  url: string;
  name: string;
  stream: string;
  subjectPrefix: string;
  logger: Logger;
}

/** Connects with endless reconnects: a NATS outage pauses event flow, it never kills a service. */
export async function connectMessaging(options: MessagingOptions): Promise<Messaging> {
  const nc = await connect({
    servers: options.url,
    name: options.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
  });
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        options.logger.warn({ nats: status.type }, `NATS ${status.type}`);
      }
    }
  })();
  const jsm = await nc.jetstreamManager({ timeout: 5000 });
  const subject = (name: string) => `${options.subjectPrefix}${name}`;
  await ensureStream(jsm, options.stream, subject('events.>'));
  return { nc, js: nc.jetstream({ timeout: 5000 }), jsm, stream: options.stream, subject };
}

async function ensureStream(jsm: JetStreamManager, name: string, subjects: string): Promise<void> {
  try {
    await jsm.streams.info(name);
    return;
  } catch {
    // Not there yet: create it below.
  }
  try {
    await jsm.streams.add({
      name,
      subjects: [subjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: nanos(7 * 24 * 3600 * 1000),
      duplicate_window: nanos(10 * 60 * 1000),
    });
  } catch (error) {
    // Another service created it first.
    await jsm.streams.info(name).catch(() => {
      throw error;
    });
  }
}
