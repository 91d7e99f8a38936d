import type { ActivityRecorded, AuthenticatedPrincipal, EventContext } from '@gatehouse/contracts';
import { actorOf } from '@gatehouse/service-kit';
import type { FastifyRequest } from 'fastify';
import type { DenialReason } from '../policy/authorize.js';

/** As the principal token carries it (service-kit principal.ts): longer agents are cut, not refused. */
const USER_AGENT_MAX_LENGTH = 512;
const PATH_MAX_LENGTH = 512;

/** One security event before it is put in an envelope: what happened, and the request it happened to. */
export interface ActivityRecord {
  data: ActivityRecorded;
  context: EventContext;
  /** Who and what it is about, for the throttle: one record per key per window. */
  throttleKey: string;
}

/** The request a record is about: who, from where, which route (the path without its query, which may hold a token). */
function requestFacts(request: FastifyRequest, principal: AuthenticatedPrincipal) {
  const actor = actorOf(principal);
  const userAgent = request.headers['user-agent'];
  const context: EventContext = {
    ...(actor && { actor }),
    ip: request.ip,
    ...(typeof userAgent === 'string' && { userAgent: userAgent.slice(0, USER_AGENT_MAX_LENGTH) }),
    requestId: request.id,
  };
  const changes = {
    route: { after: request.gateway?.match?.policy.operationId ?? null },
    method: { after: request.method },
    path: { after: (request.url.split('?')[0] ?? '').slice(0, PATH_MAX_LENGTH) },
  };
  return { actor, context, changes };
}

/** A PAT or OAuth token refused a route by the gateway's policy: the account's security log. */
export function deniedRecord(
  request: FastifyRequest,
  principal: AuthenticatedPrincipal,
  reason: DenialReason,
): ActivityRecord {
  const { actor, context, changes } = requestFacts(request, principal);
  return {
    data: {
      action: 'api_key.denied',
      organizationId: null,
      userId: principal.userId,
      ...(actor && { actor }),
      target: { type: principal.kind === 'oauth' ? 'oauth_app' : 'api_key', id: principal.credentialId },
      changes,
      outcome: 'failure',
      reason,
    },
    context,
    throttleKey: `${principal.credentialId}|api_key.denied|${reason}`,
  };
}

/** A rate limit refused a request of a known account; `limit` is the limit's name (limiter.ts LimitName). */
export function rateLimitedRecord(
  request: FastifyRequest,
  principal: AuthenticatedPrincipal,
  limit: string,
): ActivityRecord {
  const { actor, context, changes } = requestFacts(request, principal);
  return {
    data: {
      action: 'rate_limit.exceeded',
      organizationId: null,
      userId: principal.userId,
      ...(actor && { actor }),
      target: { type: 'user', id: principal.userId },
      changes,
      outcome: 'failure',
      reason: limit,
    },
    context,
    throttleKey: `${principal.userId}|rate_limit.exceeded|${limit}`,
  };
}
