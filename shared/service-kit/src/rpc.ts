import { AppError } from '@gatehouse/contracts';
import {
  headers,
  type Msg,
  type NatsConnection,
  ErrorCode as NatsErrorCode,
  StringCodec,
  type Subscription,
} from 'nats';
import { currentEventContext, EVENT_CONTEXT_HEADER, parseEventContext, withEventContext } from './event-context.js';
import type { Logger } from './logger.js';
import { isOperationalError } from './process-errors.js';

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
      void answer(message, subject, logger, handler);
    },
  });
}

async function answer<Req, Res>(
  message: Msg,
  subject: string,
  logger: Logger,
  handler: (request: Req) => Promise<Res>,
): Promise<void> {
  let response: Res | { error: 'internal' };
  try {
    // The asker's request context (who, from where) follows the call, so events the handler records carry it.
    const context = parseEventContext(message.headers?.get(EVENT_CONTEXT_HEADER));
    const request = JSON.parse(codec.decode(message.data)) as Req;
    response = await withEventContext(context, () => handler(request));
  } catch (failure) {
    // A database or NATS outage is expected and answered; anything else is a bug to see.
    const level = isOperationalError(failure) ? 'warn' : 'error';
    logger[level]({ err: failure, subject }, 'rpc handler failed');
    response = { error: 'internal' };
  }
  try {
    message.respond(codec.encode(JSON.stringify(response)));
  } catch (failure) {
    // The connection went away meanwhile: the asker times out into a 503 on its side.
    logger.warn({ err: failure, subject }, 'rpc answer not sent');
  }
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
    const context = currentEventContext();
    const sent = context ? headers() : undefined;
    sent?.set(EVENT_CONTEXT_HEADER, JSON.stringify(context));
    const reply = await nc.request(subject, codec.encode(JSON.stringify(payload)), {
      timeout: timeoutMs,
      ...(sent && { headers: sent }),
    });
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
