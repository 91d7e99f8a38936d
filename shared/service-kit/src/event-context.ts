import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventActor, EventContext, EventEnvelope, Principal } from '@gatehouse/contracts';
import type { FastifyRequest } from 'fastify';

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

/** The context a consumed event passes on to the events its handler records. */
export function consumedEventContext(event: EventEnvelope): EventContext | undefined {
  if (event.context) return event.context;
  return event.requestId ? { requestId: event.requestId } : undefined;
}
