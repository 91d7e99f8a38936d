import { AppError } from '@gatehouse/contracts';
import { type NatsConnection, ErrorCode as NatsErrorCode, StringCodec, type Subscription } from 'nats';
import type { Logger } from './logger.js';

const codec = StringCodec();

/**
 * Answers a core-NATS request/reply subject. Replicas share a queue group, so each
 * request is answered once. A handler failure answers `{ error }`, never silence.
 */
export function serveRpc<Req, Res>(
  nc: NatsConnection,
  subject: string,
  logger: Logger,
  handler: (request: Req) => Promise<Res>,
): Subscription {
  return nc.subscribe(subject, {
    queue: `rpc.${subject}`,
    callback: (error, message) => {
      if (error) {
        logger.warn({ err: error, subject }, 'rpc subscription error');
        return;
      }
      void (async () => {
        try {
          const request = JSON.parse(codec.decode(message.data)) as Req;
          const response = await handler(request);
          message.respond(codec.encode(JSON.stringify(response)));
        } catch (failure) {
          logger.error({ err: failure, subject }, 'rpc handler failed');
          message.respond(codec.encode(JSON.stringify({ error: 'internal' })));
        }
      })();
    },
  });
}

/**
 * Sends a request and waits a bounded time. No responder, a timeout or a failed handler
 * all surface as 503 SERVICE_UNAVAILABLE, never a hang.
 */
export async function requestRpc<Req, Res>(
  nc: NatsConnection,
  subject: string,
  payload: Req,
  timeoutMs = 2000,
): Promise<Res> {
  let raw: string;
  try {
    const reply = await nc.request(subject, codec.encode(JSON.stringify(payload)), { timeout: timeoutMs });
    raw = codec.decode(reply.data);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === NatsErrorCode.NoResponders ? 'no responder' : 'timed out';
    throw new AppError('SERVICE_UNAVAILABLE', 'A dependency is unavailable, retry shortly', { reason });
  }
  const parsed = JSON.parse(raw) as Res | { error: string };
  if (parsed && typeof parsed === 'object' && 'error' in parsed) {
    throw new AppError('SERVICE_UNAVAILABLE', 'A dependency is unavailable, retry shortly');
  }
  return parsed as Res;
}
