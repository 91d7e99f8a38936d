import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type EventActor,
  type EventContext,
  EventContextSchema,
  type EventEnvelope,
  type Principal,
  USER_AGENT_MAX_LENGTH,
} from '@gatehouse/contracts';
import type { FastifyRequest } from 'fastify';
import { Value } from 'typebox/value';

/**
 * The request (or consumed event) the current work serves, so every event recorded meanwhile carries who
 * caused it and from where (the audit log's actor, ip, userAgent, requestId) without each call site passing it.
 * routeServer runs each handler inside its request's context; DurableConsumer runs each handler inside the
 * consumed event's, so a chain of events keeps the actor that started it.
 */
const storage = new AsyncLocalStorage<EventContext>();

export function withEventContext<T>(context: EventContext | undefined, work: () => T): T {
  return context ? storage.run(context, work) : work();
}

/** Runs work outside any request's context: background passes (pumps, timers) are the system's own work. */
export function withoutEventContext<T>(work: () => T): T {
  return storage.exit(work);
}

export function currentEventContext(): EventContext | undefined {
  return storage.getStore();
}

/** Who a principal is, as an audit record names them; none for an anonymous request. */
export function actorOf(principal: Principal | null | undefined): EventActor | undefined {
  if (!principal) return undefined;
  switch (principal.kind) {
    case 'anonymous':
      return undefined;
    case 'session':
      return { type: 'user', id: principal.userId };
    case 'api_key':
      return { type: 'api_key', id: principal.credentialId, userId: principal.userId };
    case 'oauth':
      return { type: 'oauth_app', id: principal.clientId ?? principal.credentialId, userId: principal.userId };
    case 'scim':
      return { type: 'scim', id: principal.directoryId };
  }
}

/** The context of a request the gateway signed a principal for. */
export function requestEventContext(request: FastifyRequest): EventContext {
  const actor = actorOf(request.principal);
  return {
    ...(actor && { actor }),
    ...(request.clientIp && { ip: request.clientIp }),
    ...(request.userAgent && { userAgent: request.userAgent }),
    requestId: request.id,
  };
}

/** The NATS header that carries the context of a request/reply call (service-kit rpc.ts). */
export const EVENT_CONTEXT_HEADER = 'Gatehouse-Event-Context';

/** A context read from the wire (an RPC header), kept only when it has the catalogue's shape. */
export function parseEventContext(raw: string | undefined): EventContext | undefined {
  if (!raw) return undefined;
  try {
    return checkedContext(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/**
 * A context that came over the wire, rebuilt from the fields the catalogue names and cut to their columns'
 * widths (an extra field or a megabyte user agent must not ride along into every event); undefined when its
 * shape is not the catalogue's.
 */
function checkedContext(value: unknown): EventContext | undefined {
  if (!Value.Check(EventContextSchema, value)) return undefined;
  const { actor, ip, userAgent, requestId } = value;
  return {
    ...(actor && {
      actor: {
        type: actor.type,
        id: actor.id.slice(0, 64),
        ...(actor.userId !== undefined && { userId: actor.userId.slice(0, 64) }),
      },
    }),
    ...(ip !== undefined && { ip: ip.slice(0, 64) }),
    ...(userAgent !== undefined && { userAgent: userAgent.slice(0, USER_AGENT_MAX_LENGTH) }),
    ...(requestId !== undefined && { requestId: requestId.slice(0, 128) }),
  };
}

/** The context a consumed event passes on to the events its handler records. */
export function consumedEventContext(event: EventEnvelope): EventContext | undefined {
  // Only a context of the catalogue's shape is passed on (a producer's bug must not put junk in the audit log).
  const context = event.context === undefined ? undefined : checkedContext(event.context);
  if (context) return context;
  return event.requestId ? { requestId: event.requestId } : undefined;
}
