import { AppError, type EndpointLimit, validationError } from '@gatehouse/contracts';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewayConfig } from '../config.js';

export interface LimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

interface NamedLimiter {
  name: string;
  points: number;
  limiter: RateLimiterRedis;
}

export type LimitName =
  | 'ip'
  /** /scim/v2's per-IP budget, spent instead of `ip` there. */
  | 'scimIp'
  | 'credential'
  | 'signInIp'
  | 'signInEmail'
  | 'signUp'
  | 'emailIp'
  | 'emailAddress'
  | 'apiKeyCreate'
  | 'ssoStartIp'
  | 'ssoStartEmail'
  | 'ssoFinishIp'
  | 'mfaIp'
  | 'mfaAccount'
  | 'passkeyIp'
  /** Stripe's webhook deliveries per IP, spent instead of `ip` (or `scimIp`) there. */
  | 'stripeWebhookIp';

/** Endpoint limits whose per-IP budget replaces the prefix's own (`ip`): their callers share a few addresses. */
const REPLACES_IP_BUDGET: ReadonlySet<EndpointLimit> = new Set(['stripeWebhook']);

export function replacesIpBudget(limit: EndpointLimit | undefined): boolean {
  return limit !== undefined && REPLACES_IP_BUDGET.has(limit);
}

function buildLimiter(redis: Redis, prefix: string, name: string, points: number, duration: number): NamedLimiter {
  return {
    name,
    points,
    limiter: new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${prefix}:${name}`,
      points,
      duration,
      // With Redis away each replica keeps limiting on its own, rather than not at all.
      insuranceLimiter: new RateLimiterMemory({ points, duration }),
    }),
  };
}

/** The limits of docs/api.md "Rate limits", every number from config. Limits hold across replicas via Redis. */
export class RateLimits {
  private limiters: Record<LimitName, NamedLimiter>;

  constructor(redis: Redis, config: GatewayConfig) {
    const p = config.RATE_LIMIT_KEY_PREFIX;
    this.limiters = {
      ip: buildLimiter(redis, p, 'ip', config.RATE_LIMIT_IP_MAX, config.RATE_LIMIT_IP_WINDOW_SECONDS),
      scimIp: buildLimiter(
        redis,
        p,
        'scim-ip',
        config.RATE_LIMIT_SCIM_IP_MAX,
        config.RATE_LIMIT_SCIM_IP_WINDOW_SECONDS,
      ),
      credential: buildLimiter(
        redis,
        p,
        'cred',
        config.RATE_LIMIT_CREDENTIAL_MAX,
        config.RATE_LIMIT_CREDENTIAL_WINDOW_SECONDS,
      ),
      signInIp: buildLimiter(
        redis,
        p,
        'signin-ip',
        config.RATE_LIMIT_SIGN_IN_MAX,
        config.RATE_LIMIT_SIGN_IN_WINDOW_SECONDS,
      ),
      signInEmail: buildLimiter(
        redis,
        p,
        'signin-email',
        config.RATE_LIMIT_SIGN_IN_MAX,
        config.RATE_LIMIT_SIGN_IN_WINDOW_SECONDS,
      ),
      signUp: buildLimiter(
        redis,
        p,
        'signup-ip',
        config.RATE_LIMIT_SIGN_UP_MAX,
        config.RATE_LIMIT_SIGN_UP_WINDOW_SECONDS,
      ),
      emailIp: buildLimiter(redis, p, 'email-ip', config.RATE_LIMIT_EMAIL_MAX, config.RATE_LIMIT_EMAIL_WINDOW_SECONDS),
      emailAddress: buildLimiter(
        redis,
        p,
        'email-addr',
        config.RATE_LIMIT_EMAIL_MAX,
        config.RATE_LIMIT_EMAIL_WINDOW_SECONDS,
      ),
      apiKeyCreate: buildLimiter(
        redis,
        p,
        'key-create',
        config.RATE_LIMIT_API_KEY_CREATE_MAX,
        config.RATE_LIMIT_API_KEY_CREATE_WINDOW_SECONDS,
      ),
      ssoStartIp: buildLimiter(
        redis,
        p,
        'sso-start-ip',
        config.RATE_LIMIT_SSO_START_MAX,
        config.RATE_LIMIT_SSO_START_WINDOW_SECONDS,
      ),
      ssoStartEmail: buildLimiter(
        redis,
        p,
        'sso-start-email',
        config.RATE_LIMIT_SSO_START_MAX,
        config.RATE_LIMIT_SSO_START_WINDOW_SECONDS,
      ),
      ssoFinishIp: buildLimiter(
        redis,
        p,
        'sso-finish-ip',
        config.RATE_LIMIT_SSO_FINISH_MAX,
        config.RATE_LIMIT_SSO_FINISH_WINDOW_SECONDS,
      ),
      mfaIp: buildLimiter(redis, p, 'mfa-ip', config.RATE_LIMIT_MFA_IP_MAX, config.RATE_LIMIT_MFA_WINDOW_SECONDS),
      mfaAccount: buildLimiter(
        redis,
        p,
        'mfa-account',
        config.RATE_LIMIT_MFA_MAX,
        config.RATE_LIMIT_MFA_WINDOW_SECONDS,
      ),
      passkeyIp: buildLimiter(
        redis,
        p,
        'passkey-ip',
        config.RATE_LIMIT_PASSKEY_MAX,
        config.RATE_LIMIT_PASSKEY_WINDOW_SECONDS,
      ),
      stripeWebhookIp: buildLimiter(
        redis,
        p,
        'stripe-webhook-ip',
        config.RATE_LIMIT_STRIPE_WEBHOOK_MAX,
        config.RATE_LIMIT_STRIPE_WEBHOOK_WINDOW_SECONDS,
      ),
    };
  }

  /**
   * Consumes every applicable limit at once: with ioredis auto-pipelining, the calls made in
   * one tick travel in one Redis round trip. Returns the tightest state, or throws 429.
   */
  async consume(keys: Partial<Record<LimitName, string>>): Promise<{ tightest: LimitState | null }> {
    const entries = Object.entries(keys).filter(([, key]) => key !== undefined) as Array<[LimitName, string]>;
    const results = await Promise.all(
      entries.map(async ([name, key]) => {
        const { limiter, points } = this.limiters[name];
        try {
          const res = await limiter.consume(key);
          return { name, points, res, rejected: false };
        } catch (outcome) {
          if (outcome instanceof RateLimiterRes) return { name, points, res: outcome, rejected: true };
          throw outcome;
        }
      }),
    );
    let tightest: LimitState | null = null;
    const rejected = results.filter((result) => result.rejected);
    for (const { points, res } of results) {
      const state = {
        limit: points,
        remaining: Math.max(0, res.remainingPoints),
        resetSeconds: Math.ceil(res.msBeforeNext / 1000),
      };
      if (!tightest || state.remaining < tightest.remaining) tightest = state;
    }
    if (rejected.length > 0) {
      const retryAfter = Math.max(...rejected.map((result) => Math.ceil(result.res.msBeforeNext / 1000)), 1);
      throw Object.assign(
        new AppError('RATE_LIMIT_ERROR', `Too many requests; retry in ${retryAfter} seconds`, { retryAfter }),
        { limitState: tightest, rejectedBy: rejected.map((result) => result.name) },
      );
    }
    return { tightest };
  }
}

/**
 * The email a limited route is keyed by. Absent, the service refuses the body itself; any shape
 * but a string (array, number, object, null) is refused here, never left without its per-email key.
 */
function limitedEmail(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const email = (body as { email?: unknown }).email;
  if (email === undefined) return undefined;
  if (typeof email !== 'string') {
    throw validationError([{ field: 'email', error: 'must be a string', location: 'body' }]);
  }
  return email.trim().toLowerCase();
}

/** Longer than any tag identity makes (16 characters): a forged one cannot make a key of any size. */
const MAX_ACCOUNT_TAG_LENGTH = 32;

/**
 * The account a second-factor attempt is for: identity leads every `challengeId` with a tag keyed to
 * the account (`<tag>.<secret>`), so attempts across fresh challenges share one budget without the
 * gateway reading anything. Absent, the route has no challenge (or the service refuses the body); a
 * challengeId of any other shape than a string is refused here, never left without its key.
 */
export function challengeAccountTag(challengeId: unknown): string | undefined {
  if (challengeId === undefined) return undefined;
  if (typeof challengeId !== 'string') {
    throw validationError([{ field: 'challengeId', error: 'must be a string', location: 'body' }]);
  }
  const tag = challengeId.split('.', 1)[0] ?? '';
  return tag ? `tag:${tag.slice(0, MAX_ACCOUNT_TAG_LENGTH)}` : undefined;
}

function limitedAccountTag(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return challengeAccountTag((body as { challengeId?: unknown }).challengeId);
}

/**
 * Which endpoint limits apply, keyed by IP and, where the route has one, by the email in the body
 * (for a GET, the query: discover names the address there).
 */
export function endpointLimitKeys(
  limit: EndpointLimit | undefined,
  ip: string,
  body: unknown,
  userId: string | undefined,
): Partial<Record<LimitName, string>> {
  switch (limit) {
    case 'signIn':
      return { signInIp: ip, signInEmail: limitedEmail(body) };
    case 'signUp':
      return { signUp: ip };
    case 'ssoStart':
      // Its own budget: looking up how an address signs in must not spend its password attempts.
      return { ssoStartIp: ip, ssoStartEmail: limitedEmail(body) };
    case 'ssoFinish':
      return { ssoFinishIp: ip };
    case 'passwordReset':
    case 'verificationEmail':
    case 'magicLink': {
      const email = limitedEmail(body);
      return { emailIp: `${limit}:${ip}`, emailAddress: email ? `${limit}:${email}` : undefined };
    }
    case 'apiKeyCreate':
      return { apiKeyCreate: userId };
    case 'passwordCheck':
      // The sign-in budget per email, spent per account: guessing through change-password costs the same.
      return { signInEmail: userId ? `user:${userId}` : undefined };
    case 'mfaVerify': {
      // Before resolution (no userId) the budget is the challenge's account; after it, a body without a
      // challenge (confirming an app, starting a step-up) spends the signed-in account's.
      const tag = limitedAccountTag(body);
      if (userId !== undefined) return { mfaAccount: tag ? undefined : `user:${userId}` };
      return { mfaIp: ip, mfaAccount: tag };
    }
    case 'passkeyStart':
      return { passkeyIp: ip };
    case 'stripeWebhook':
      return { stripeWebhookIp: ip };
    default:
      return {};
  }
}

/** The limits kept per account, which only the resolved credential can key: spent after resolution. */
export function accountLimitKeys(
  limit: EndpointLimit | undefined,
  ip: string,
  body: unknown,
  userId: string,
): Partial<Record<LimitName, string>> {
  if (limit === 'apiKeyCreate' || limit === 'passwordCheck' || limit === 'mfaVerify') {
    return endpointLimitKeys(limit, ip, body, userId);
  }
  return {};
}
