import {
  type ActivityRecorded,
  type AuditAction,
  type AuthenticatedPrincipal,
  type EventContext,
  USER_AGENT_MAX_LENGTH,
} from '@gatehouse/contracts';
import { actorOf } from '@gatehouse/service-kit/edge';
import type { FastifyRequest } from 'fastify';
import type { DenialReason } from '../policy/authorize.js';

/** As the principal token carries it (service-kit principal.ts): longer agents are cut, not refused. */
const PATH_MAX_LENGTH = 512;

/** One security event before it is put in an envelope: what happened, and the request it happened to. */
export interface ActivityRecord {
  data: ActivityRecorded;
  context: EventContext;
  /** Who and what it is about, for the throttle: one record per key per window. */
  throttleKey: string;
}

/** A PAT or OAuth token refused a route by the gateway's policy: the account's security log. */
export function deniedRecord(
  request: FastifyRequest,
  principal: AuthenticatedPrincipal,
  reason: DenialReason,
): ActivityRecord {
  return refusalRecord(request, principal, {
    action: 'api_key.denied',
    target: { type: principal.kind === 'oauth' ? 'oauth_app' : 'api_key', id: principal.credentialId },
    reason,
    throttleKey: `${principal.credentialId}|api_key.denied|${reason}`,
  });
}

/** A rate limit refused a request of a known account; `limit` is the limit's name (limiter.ts LimitName). */
export function rateLimitedRecord(
  request: FastifyRequest,
  principal: AuthenticatedPrincipal,
  limit: string,
): ActivityRecord {
  return refusalRecord(request, principal, {
    action: 'rate_limit.exceeded',
    target: { type: 'user', id: principal.userId },
    reason: limit,
    throttleKey: `${principal.userId}|rate_limit.exceeded|${limit}`,
  });
}

interface Refusal {
  action: AuditAction;
  target: ActivityRecorded['target'];
  reason: string;
  throttleKey: string;
}

/**
 * A request of a known account the gateway refused, for the account's log: the request's context says who
 * (service-kit's actorOf), from where and which request; the changes say which route (the path without its
 * query, which may hold a token).
 */
function refusalRecord(request: FastifyRequest, principal: AuthenticatedPrincipal, refusal: Refusal): ActivityRecord {
  const { action, target, reason, throttleKey } = refusal;
  return {
    data: {
      action,
      organizationId: null,
      userId: principal.userId,
      target,
      changes: {
        route: { after: request.gateway?.match?.policy.operationId ?? null },
        method: { after: request.method },
        path: { after: (request.url.split('?')[0] ?? '').slice(0, PATH_MAX_LENGTH) },
      },
      outcome: 'failure',
      reason,
    },
    context: requestContext(request, principal),
    throttleKey,
  };
}

/** The context an upstream's events would carry for the same request (service-kit requestEventContext). */
function requestContext(request: FastifyRequest, principal: AuthenticatedPrincipal): EventContext {
  const actor = actorOf(principal);
  const userAgent = request.headers['user-agent'];
  return {
    ...(actor && { actor }),
    ip: request.ip,
    ...(typeof userAgent === 'string' && { userAgent: userAgent.slice(0, USER_AGENT_MAX_LENGTH) }),
    requestId: request.id,
  };
}
