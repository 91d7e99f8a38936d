import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy';
import { AppError, ROUTES, type Upstream } from '@gatehouse/contracts';
import { buildOpenApiDocument } from '@gatehouse/contracts/openapi';
import { counter, createHttpApp, createMetrics, type HttpApp } from '@gatehouse/service-kit/edge';
import { Gauge } from 'prom-client';
import { GatewayActivity } from './activity/publisher.js';
import { listOf } from './config.js';
import { AccessTokenVerifier } from './credentials/access-tokens.js';
import { CredentialResolver } from './credentials/resolver.js';
import { answerHeaders } from './credentials/revoked-on-answer.js';
import type { GatewayDeps } from './deps.js';
import { registerApiReference } from './docs/reference.js';
import { limitConnections } from './edges/connections.js';
import { registerCors } from './edges/cors.js';
import { registerSecurityHeaders } from './edges/security-headers.js';
import { registerGatewayHealth } from './health.js';
import { registerGatewayMetrics } from './metrics-server.js';
import { ROUTE_TABLE } from './policy/route-table.js';
import { compileRouteTable } from './policy/router.js';
import { isAuthorizationServerPath, OAUTH_PREFIX, registerAuthorizationServer } from './proxy/authorization-server.js';
import { registerConsole } from './proxy/console.js';
import { API_ANSWERS, guardAnswers } from './proxy/envelope-guard.js';
import { upstreamHeaders } from './proxy/headers.js';
import { createOAuthPipeline } from './proxy/oauth-pipeline.js';
import { createPipeline } from './proxy/pipeline.js';
import { registerRawBodyRoutes } from './proxy/raw-body.js';
import { registerScimProxy } from './proxy/scim.js';
import { scimUnavailable } from './proxy/scim-errors.js';
import { UpstreamBreakers } from './proxy/upstream-breaker.js';
import { neverRetry } from './proxy/upstream-failure.js';
import { RateLimits } from './rate-limit/limiter.js';

const EXPOSED_HEADERS = [
  'x-request-id',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'retry-after',
  'etag',
];

const FORM = 'application/x-www-form-urlencoded';

type ApiReplyOptions = NonNullable<FastifyHttpProxyOptions['replyOptions']>;

export async function buildGateway(deps: GatewayDeps): Promise<HttpApp> {
  const { config, logger } = deps;
  const trusted = listOf(config.TRUSTED_PROXIES);
  const app = createHttpApp({
    logger,
    bodyLimit: config.BODY_LIMIT,
    trustProxy: trusted.length > 0 ? trusted : false,
    edge: true,
  });
  limitConnections(app.server, {
    headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.KEEP_ALIVE_TIMEOUT_MS,
    maxConnectionsPerIp: config.MAX_CONNECTIONS_PER_IP,
  });
  const metrics = createMetrics('gateway');
  registerGatewayMetrics(app, metrics, config.METRICS_PORT);
  const rejections = counter(metrics, 'gateway_rate_limit_rejections_total', 'Requests refused by a rate limit', [
    'limit',
  ]);
  const cacheLookups = counter(metrics, 'gateway_credential_cache_lookups_total', 'Credential cache lookups', [
    'result',
  ]);
  new Gauge({
    name: 'gateway_redis_up',
    help: '1 when Redis backs the rate limits, 0 while the in-memory insurance limiter does',
    registers: [metrics.registry],
    collect() {
      this.set(deps.redis.status === 'ready' ? 1 : 0);
    },
  });

  const upstreams: Record<Upstream, string> = {
    identity: config.IDENTITY_URL,
    organization: config.ORGANIZATION_URL,
    project: config.PROJECT_URL,
    audit: config.AUDIT_URL,
    billing: config.BILLING_URL,
  };
  const breakers = new UpstreamBreakers(
    Object.keys(upstreams) as Upstream[],
    {
      errorThresholdPercentage: config.UPSTREAM_BREAKER_ERROR_PERCENT,
      volumeThreshold: config.UPSTREAM_BREAKER_MIN_CALLS,
      windowMs: config.UPSTREAM_BREAKER_WINDOW_MS,
      resetTimeoutMs: config.UPSTREAM_BREAKER_RESET_MS,
    },
    metrics,
  );
  const publicBase = config.PUBLIC_URL.replace(/\/+$/, '');
  const allowedOrigins = new Set([new URL(config.PUBLIC_URL).origin, ...listOf(config.CORS_ORIGINS)]);

  registerSecurityHeaders(app);
  // oidc-provider answers CORS for its own endpoints (per client for the token endpoint).
  registerCors(app, { allowedOrigins, exposedHeaders: EXPOSED_HEADERS, answersOwnCors: isAuthorizationServerPath });

  const resolver = new CredentialResolver({
    nc: deps.nc,
    subject: deps.subject,
    logger,
    maxCacheSeconds: config.CREDENTIAL_CACHE_MAX_SECONDS,
    negativeCacheSeconds: config.CREDENTIAL_NEGATIVE_CACHE_SECONDS,
    timeoutMs: config.CREDENTIAL_RESOLVE_TIMEOUT_MS,
    cacheLookups,
    accessTokens: new AccessTokenVerifier({
      jwksUrl: `${config.IDENTITY_URL}${OAUTH_PREFIX}/jwks`,
      issuer: `${publicBase}${OAUTH_PREFIX}`,
      audience: publicBase,
      timeoutMs: config.CREDENTIAL_RESOLVE_TIMEOUT_MS,
    }),
  });
  resolver.listenForRevocations();
  const activity = new GatewayActivity({
    nc: deps.nc,
    subject: deps.subject,
    logger,
    metrics,
    queueMax: config.ACTIVITY_QUEUE_MAX,
  });
  activity.start();
  const pipelineDeps = {
    matchRoute: compileRouteTable(ROUTE_TABLE),
    resolver,
    limits: new RateLimits(deps.redis, config),
    allowedOrigins,
    cookieName: config.SESSION_COOKIE_NAME,
    rejections,
    signer: deps.signer,
    activity,
  };
  const pipeline = createPipeline(pipelineDeps);

  // Every answer, success or error, says where the caller stands against its tightest limit.
  // (A callback hook, not an async one: no promise per answer.)
  app.addHook('onSend', (request, reply, payload, done) => {
    const limit = request.gateway?.limit;
    if (limit) {
      reply.header('ratelimit-limit', String(limit.limit));
      reply.header('ratelimit-remaining', String(limit.remaining));
      reply.header('ratelimit-reset', String(limit.resetSeconds));
    }
    done(null, payload);
  });

  registerGatewayHealth(app, deps, upstreams, breakers);
  await registerApiReference(app, () =>
    buildOpenApiDocument({ publicUrl: publicBase, cookieName: config.SESSION_COOKIE_NAME }),
  );

  // A form post to a route whose contract takes one (the SAML ACS, which an IdP's page submits) goes
  // on as the text it is. Anywhere else it is a 415 here, before the pipeline spends any rate limit.
  const formOperations = new Set(ROUTES.filter((route) => route.bodyContentType === FORM).map((r) => r.operationId));
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: config.BODY_LIMIT }, (request, body, done) => {
    const match = pipelineDeps.matchRoute(request.method, request.url);
    if (match && !formOperations.has(match.policy.operationId)) {
      done(new AppError('UNSUPPORTED_MEDIA_TYPE', 'This route takes JSON (Content-Type: application/json)'));
    } else done(null, body);
  });
  const apiHandler = breakers.handler((request) => request.gateway.match?.policy.upstream ?? 'identity');
  const apiReplyOptions: ApiReplyOptions = {
    timeout: config.UPSTREAM_TIMEOUT_MS,
    retryDelay: neverRetry,
    onResponse: guardAnswers(API_ANSWERS),
    rewriteHeaders: (headers) => answerHeaders(headers, resolver.cache),
    getUpstream: (request) => upstreams[request.gateway.match?.policy.upstream ?? 'identity'],
    rewriteRequestHeaders: (request, headers) =>
      upstreamHeaders(headers, {
        principalToken: request.gateway.principalToken ?? '',
        requestId: request.id,
        clientIp: request.ip,
        proto: request.protocol,
        host: request.headers.host,
        path: request.url,
      }),
  };
  await app.register(httpProxy, {
    upstream: '',
    prefix: '/api',
    rewritePrefix: '/api',
    // Bodies are parsed here, so validation limits and the sign-in email limit apply at the edge.
    proxyPayloads: false,
    preHandler: pipeline,
    handler: apiHandler,
    replyOptions: apiReplyOptions,
  });
  // Signed webhook deliveries: the same pipeline and upstream options, the body forwarded byte for byte.
  await registerRawBodyRoutes(app, {
    bodyLimit: config.BODY_LIMIT,
    preHandler: pipeline,
    handler: apiHandler,
    replyOptions: apiReplyOptions,
  });

  await registerScimProxy(app, {
    upstreamUrl: (request) => upstreams[request.gateway.match?.policy.upstream ?? 'identity'],
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    bodyLimit: config.BODY_LIMIT,
    preHandler: createPipeline(pipelineDeps, { ipLimit: 'scimIp' }),
    handler: breakers.handler((request) => request.gateway.match?.policy.upstream ?? 'identity', scimUnavailable),
    answerHeaders: (headers) => answerHeaders(headers, resolver.cache),
  });

  await registerAuthorizationServer(app, {
    identityUrl: config.IDENTITY_URL,
    publicUrl: publicBase,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    sessionCookieName: config.SESSION_COOKIE_NAME,
    preHandler: createOAuthPipeline(pipelineDeps),
    handler: breakers.handler(() => 'identity'),
    answerHeaders: (headers) => answerHeaders(headers, resolver.cache),
  });

  await registerConsole(app, {
    consoleUrl: config.CONSOLE_URL,
    publicUrl: publicBase,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  });

  app.addHook('onClose', async () => {
    resolver.stop();
    breakers.close();
    await activity.stop();
  });
  return app;
}
