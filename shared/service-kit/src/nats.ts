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
import { type NatsAuth, natsConnectionOptions } from './nats-auth.js';

export interface Messaging {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  /** Puts a subject under this deployment's namespace (empty in production, unique in tests). */
  subject(name: string): string;
}

export interface MessagingOptions extends NatsAuth {
  name: string;
  stream: string;
  /** JetStream replicas of the stream when this process creates it (default 1). */
  streamReplicas?: number;
  subjectPrefix: string;
  logger: Logger;
}

/** Connects with endless reconnects: a NATS outage pauses event flow, it never kills a service. */
export async function connectMessaging(options: MessagingOptions): Promise<Messaging> {
  const nc = await connect({
    ...natsConnectionOptions(options, options.name),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
    // No stack captured per request and publish for async error traces (≈ 6% of the outbox relay's CPU, issue #21).
    noAsyncTraces: true,
  });
  logStatus(nc, options.logger);
  const subject = (name: string) => `${options.subjectPrefix}${name}`;
  try {
    const jsm = await nc.jetstreamManager({ timeout: 5000 });
    await ensureStream(jsm, options, subject('events.>'));
    return { nc, js: nc.jetstream({ timeout: 5000 }), jsm, stream: options.stream, subject };
  } catch (error) {
    // NATS left again before JetStream answered: close this connection, the caller retries.
    await nc.close().catch(() => undefined);
    throw error;
  }
}

/** Disconnects and reconnects as log lines (the iterator ends when the connection closes). */
export function logStatus(nc: NatsConnection, logger: Logger): void {
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnect') {
        logger.warn({ nats: status.type }, `NATS ${status.type}`);
      }
    }
  })().catch((error: unknown) => logger.warn({ err: error }, 'NATS status stream ended'));
}

/**
 * Creates the events stream when it is not there. An existing stream is left as it is (its replicas
 * are raised by an operator: `nats stream edit <name> --replicas 3`), with a warning when it keeps
 * fewer copies than this process was configured to create.
 */
async function ensureStream(jsm: JetStreamManager, options: MessagingOptions, subjects: string): Promise<void> {
  const { stream: name, streamReplicas: replicas = 1, logger } = options;
  try {
    const info = await jsm.streams.info(name);
    if (info.config.num_replicas < replicas) {
      logger.warn(
        { stream: name, replicas: info.config.num_replicas, configured: replicas },
        `the events stream keeps fewer replicas than EVENTS_STREAM_REPLICAS: nats stream edit ${name} --replicas ${replicas}`,
      );
    }
    return;
  } catch (error) {
    if (!isStreamNotFound(error)) throw error;
  }
  try {
    await jsm.streams.add({
      name,
      subjects: [subjects],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      num_replicas: replicas,
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

/** JetStream's "stream not found" (API error 10059), as the client reports it. */
function isStreamNotFound(error: unknown): boolean {
  const { api_error: apiError, message } = error as { api_error?: { err_code?: number }; message?: string };
  return apiError?.err_code === 10059 || message === 'stream not found';
}
