import {
  AppError,
  type AuthenticatedPrincipal,
  type DirectoryPrincipal,
  type Principal,
  type RoutePolicy,
} from '@gatehouse/contracts';
import { hashSecret, type PrincipalSigner } from '@gatehouse/service-kit/edge';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { GatewayActivity } from '../activity/publisher.js';
import { deniedRecord, rateLimitedRecord } from '../activity/records.js';
import { extractCredential, type PresentedCredential } from '../credentials/extract.js';
import type { CredentialResolver } from '../credentials/resolver.js';
import { checkCrossSite } from '../edges/cross-site.js';
import { refusalOf } from '../policy/authorize.js';
import type { RouteMatch } from '../policy/router.js';
import {
  accountLimitKeys,
  endpointLimitKeys,
  hasAccountLimits,
  type LimitName,
  type LimitState,
  type RateLimits,
  replacesIpBudget,
} from '../rate-limit/limiter.js';

export interface GatewayRequestState {
  match: RouteMatch | null;
  principal: Principal;
  limit: LimitState | null;
  /** The signed principal the upstream will verify. */
  principalToken?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    gateway: GatewayRequestState;
  }
}

export interface PipelineDeps {
  matchRoute: (method: string, url: string) => RouteMatch | null;
  resolver: CredentialResolver;
  limits: RateLimits;
  allowedOrigins: ReadonlySet<string>;
  cookieName: string;
  rejections: Counter<'limit'>;
  signer: PrincipalSigner;
  /** Where key denials and an account's rate-limit hits are recorded (best-effort); none in some tests. */
  activity?: Pick<GatewayActivity, 'record'>;
}

export interface PipelineOptions {
  /** The per-IP budget the prefix spends: `ip` (/api) or `scimIp` (/scim/v2, an IdP's shared egress addresses). */
  ipLimit?: Extract<LimitName, 'ip' | 'scimIp'>;
}

/**
 * What happens to every /api (and /scim/v2) request before it is proxied, in order: route match, rate
 * limits (one Redis round trip), credential resolution, the cross-site check for cookie writes, scope
 * and organization-pin policy. Any failure is thrown, so the prefix's error handler answers it (an
 * envelope, or a SCIM error under /scim/v2); nothing is proxied.
 * `auth: 'optional'` routes resolve a credential when there is a valid one and are otherwise
 * anonymous (never a 401).
 */
export function createPipeline(deps: PipelineDeps, options: PipelineOptions = {}) {
  const ipLimit = options.ipLimit ?? 'ip';
  const consume = (request: FastifyRequest, keys: Partial<Record<LimitName, string>>) =>
    consumeLimits(deps, request, keys);

  async function admit(request: FastifyRequest): Promise<void> {
    const match = deps.matchRoute(request.method, request.url);
    request.gateway = { match, principal: { kind: 'anonymous' }, limit: null };
    if (!match) {
      throw new AppError('NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} not found`);
    }
    const { policy } = match;
    const credential = presentedCredential(request, policy.auth);
    // One digest per request serves both the per-credential limit and the credential cache.
    const digest = credential ? hashSecret(credential.secret) : undefined;
    const credentialKey = credential && digest ? `${credential.kind}:${digest.slice(0, 32)}` : undefined;
    const keys: Partial<Record<LimitName, string>> = {
      // A route whose own per-IP budget stands in for the prefix's (Stripe's deliveries) spends only that one.
      [ipLimit]: replacesIpBudget(policy.limit) ? undefined : request.ip,
      credential: credentialKey,
    };
    if (policy.limit !== undefined) {
      Object.assign(
        keys,
        endpointLimitKeys(policy.limit, request.ip, request.method === 'GET' ? request.query : request.body, undefined),
      );
    }
    try {
      await consume(request, keys);
    } catch (error) {
      // Before resolution only the cache can say whose account a refused credential is (never a look-up).
      if (credential && digest && rejectedBy(error).includes('credential')) {
        noteRateLimited(request, deps.resolver.known(credential, digest), ['credential']);
      }
      throw error;
    }

    let principal: Principal = { kind: 'anonymous' };
    if (credential) {
      principal =
        policy.auth === 'optional'
          ? await resolveIfValid(deps, credential, digest)
          : await deps.resolver.resolve(credential, digest ?? hashSecret(credential.secret));
    }
    if (!credential || principal.kind === 'anonymous') {
      if (policy.auth === 'required') throw new AppError('AUTHENTICATION_REQUIRED', 'Sign in or send an API key');
      if (request.headers.cookie && !policy.crossSitePosts) {
        checkCrossSite(request.method, request.headers, deps.allowedOrigins);
      }
      return;
    }
    request.gateway.principal = principal;
    if (credential.kind === 'session') checkCrossSite(request.method, request.headers, deps.allowedOrigins);
    const refusal = refusalOf(principal, match);
    if (refusal) {
      if (refusal.reason && (principal.kind === 'api_key' || principal.kind === 'oauth')) {
        deps.activity?.record(deniedRecord(request, principal, refusal.reason));
      }
      throw refusal.error;
    }
    // Limits kept per account can only be spent once the credential says whose account it is
    // (most routes have none: no call, no promise).
    if (principal.kind !== 'scim' && hasAccountLimits(policy.limit)) {
      try {
        await consume(request, accountLimitKeys(policy.limit, request.ip, request.body, principal.userId));
      } catch (error) {
        noteRateLimited(request, principal, rejectedBy(error));
        throw error;
      }
    }
  }

  /** A person's account hit a limit: one record per limit that refused (throttled per account). */
  function noteRateLimited(
    request: FastifyRequest,
    principal: AuthenticatedPrincipal | DirectoryPrincipal | undefined,
    limits: string[],
  ): void {
    if (!principal || principal.kind === 'scim') return;
    for (const limit of limits) deps.activity?.record(rateLimitedRecord(request, principal, limit));
  }

  /** `auth: 'optional'` takes an unreadable credential header (the 401 family) as no credential. */
  function presentedCredential(request: FastifyRequest, auth: RoutePolicy['auth']): PresentedCredential | null {
    if (auth === 'none') return null;
    try {
      return extractCredential(request.headers, deps.cookieName);
    } catch (error) {
      if (auth === 'optional' && isUnauthenticated(error)) return null;
      throw error;
    }
  }

  return async function gatewayPreHandler(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      await admit(request);
    } catch (error) {
      const challenge = bearerChallenge(request, error);
      if (challenge) reply.header('www-authenticate', challenge);
      throw error;
    }
    await signPrincipal(deps, request);
  };
}

/** The limits a 429 from consumeLimits names (none for any other error). */
function rejectedBy(error: unknown): string[] {
  return (error as { rejectedBy?: string[] } | undefined)?.rejectedBy ?? [];
}

function isUnauthenticated(error: unknown): boolean {
  return error instanceof AppError && error.status === 401;
}

/**
 * The principal of a credential a route (or page) can go without: a missing, invalid, expired or
 * revoked one is anonymous, so a stale cookie never blocks the page; an outage is still a 503.
 */
export async function resolveIfValid(
  deps: Pick<PipelineDeps, 'resolver'>,
  credential: PresentedCredential,
  digest = hashSecret(credential.secret),
): Promise<Principal> {
  try {
    return await deps.resolver.resolve(credential, digest);
  } catch (error) {
    if (isUnauthenticated(error)) return { kind: 'anonymous' };
    throw error;
  }
}

/**
 * RFC 6750 §3: a refused Bearer token gets a challenge saying why, so OAuth client libraries
 * know whether to refresh (invalid_token) or ask for more scope (insufficient_scope).
 */
function bearerChallenge(request: FastifyRequest, error: unknown): string | null {
  const authorization = request.headers.authorization;
  if (typeof authorization !== 'string' || !/^bearer\s/i.test(authorization) || request.headers['x-api-key'])
    return null;
  if (!(error instanceof AppError)) return null;
  if (error.status === 401) return 'Bearer error="invalid_token"';
  if (error.code === 'INSUFFICIENT_PERMISSIONS' || error.code === 'NO_SCOPES_AVAILABLE') {
    const required = (error.meta?.requiredScopes as string[] | undefined) ?? [];
    return `Bearer error="insufficient_scope"${required.length > 0 ? `, scope="${required.join(' ')}"` : ''}`;
  }
  return null;
}

/** The token the upstream verifies: who is calling, from where (the signer reuses it for a few seconds). */
export async function signPrincipal(deps: Pick<PipelineDeps, 'signer'>, request: FastifyRequest): Promise<void> {
  request.gateway.principalToken = await deps.signer.sign({
    principal: request.gateway.principal,
    clientIp: request.ip,
    ...(typeof request.headers['user-agent'] === 'string' && { userAgent: request.headers['user-agent'] }),
  });
}

/** Spends one point of each named limit; the tightest state is what the response headers show. */
export async function consumeLimits(
  deps: Pick<PipelineDeps, 'limits' | 'rejections'>,
  request: FastifyRequest,
  keys: Partial<Record<LimitName, string>>,
): Promise<void> {
  try {
    const { tightest } = await deps.limits.consume(keys);
    request.gateway.limit = tighter(request.gateway.limit, tightest);
  } catch (error) {
    const limited = error as AppError & { limitState?: LimitState; rejectedBy?: string[] };
    if (limited.limitState) request.gateway.limit = limited.limitState;
    for (const name of limited.rejectedBy ?? []) deps.rejections.inc({ limit: name });
    throw error;
  }
}

function tighter(a: LimitState | null, b: LimitState | null): LimitState | null {
  if (!a) return b;
  if (!b) return a;
  return b.remaining < a.remaining ? b : a;
}
