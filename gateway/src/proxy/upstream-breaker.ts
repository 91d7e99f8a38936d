import type { FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { Upstream } from '@gatehouse/contracts';
import {
  Breaker,
  type BreakerSettings,
  type BreakerState,
  breakerMetrics,
  isBreakerOpen,
  type Metrics,
} from '@gatehouse/service-kit/edge';
import type { FastifyRequest } from 'fastify';
import {
  type AnswerUnavailable,
  answerUnavailable,
  answerUpstreamFailure,
  type ProxiedReply,
} from './upstream-failure.js';

type ProxyHandler = NonNullable<FastifyHttpProxyOptions['handler']>;
type ReplyOptions = NonNullable<FastifyHttpProxyOptions['replyOptions']>;

/** What an answer says about the upstream itself: 502–504 mean it (or the way to it) is not serving. */
const isUnavailableStatus = (status: number) => status >= 502 && status <= 504;

/**
 * One opossum breaker per upstream. A connection refused or reset, a timeout, a 502–504 answer, or a
 * client that gave up before the upstream answered counts as a failure; any other answer (a 4xx, even
 * a 500: the service is there) as a success. While a breaker is open its upstream is not called:
 * the client gets 503 with Retry-After at once, and the other upstreams are untouched.
 */
export class UpstreamBreakers {
  private readonly breakers = new Map<Upstream, Breaker>();

  constructor(upstreams: readonly Upstream[], settings: BreakerSettings, metrics: Metrics) {
    const family = breakerMetrics(metrics, 'gateway_upstream_breaker', 'upstream');
    for (const upstream of upstreams) this.breakers.set(upstream, new Breaker(upstream, settings, family));
  }

  /**
   * http-proxy's handler: reply-from's call, through the breaker of the request's upstream. `unavailable`
   * answers the 503s (the envelope, or SCIM's error under /scim/v2).
   */
  handler(
    upstreamOf: (request: FastifyRequest) => Upstream,
    unavailable: AnswerUnavailable = answerUnavailable,
  ): ProxyHandler {
    return (request, reply, dest, options) => {
      const upstream = upstreamOf(request);
      const breaker = this.breaker(upstream);
      breaker
        .fire(() => forward(reply, dest, options, upstream, breaker, unavailable))
        .catch((error: unknown) => {
          // Any other rejection is an upstream failure, already answered by forward.
          if (isBreakerOpen(error)) unavailable(reply, breaker.retryAfterSeconds());
        });
      // The reply is a thenable fastify awaits; reply-from (or the refusal above) sends it.
      return reply;
    };
  }

  /** Each upstream's breaker state, for /readyz (informational). */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([upstream, breaker]) => [upstream, breaker.state]));
  }

  close(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
  }

  private breaker(upstream: Upstream): Breaker {
    const breaker = this.breakers.get(upstream);
    if (!breaker) throw new Error(`no breaker for upstream ${upstream}`);
    return breaker;
  }
}

/** One proxied call; settles as soon as the upstream's answer (its status) or its failure is known. */
function forward(
  reply: ProxiedReply,
  dest: string,
  options: ReplyOptions,
  upstream: Upstream,
  breaker: Breaker,
  unavailable: AnswerUnavailable,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (failure?: Error) => {
      if (settled) return;
      settled = true;
      if (failure) reject(failure);
      else resolve();
    };
    // reply-from calls neither hook when the client went away first: the trial must still end. Every
    // response closes, so the Error (and its stack) is made only when nothing had settled the call.
    reply.raw.once('close', () => {
      if (!settled) settle(new Error('the client left before the upstream answered'));
    });
    try {
      reply.from(dest, {
        ...options,
        onResponse: (request, proxied, res) => {
          const status = (res as unknown as { statusCode: number }).statusCode;
          settle(isUnavailableStatus(status) ? new Error(`upstream answered ${status}`) : undefined);
          if (options.onResponse) options.onResponse(request, proxied, res);
          else proxied.send(res.stream);
        },
        onError: (proxied, { error }) => {
          settle(error);
          answerUpstreamFailure(proxied as ProxiedReply, error, upstream, breaker.retryAfterSeconds(), unavailable);
        },
      });
    } catch (error) {
      // reply-from refused the call itself (a bug here, not the upstream's health): the error handler answers.
      settle();
      reply.send(error as Error);
    }
  });
}
