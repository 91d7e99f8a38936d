import { AppError, type EndpointLimit, validationError } from '@gatehouse/contracts';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { GatewayConfig } from '../config.js';

export interface LimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** One limit: its Redis key prefix, its budget per window, and this replica's stand-in while Redis is away. */
interface Limit {
  name: LimitName;
  keyPrefix: string;
  points: number;
  duration: number;
  insurance: RateLimiterMemory;
}

/**
 * Spends one point of every key it is given, in one round trip however many limits a request checks.
 * KEYS are the counters; ARGV[i] is KEYS[i]'s window in seconds. Per key it is exactly the fixed-window
 * script of rate-limiter-flexible's RateLimiterRedis (which these counters were kept with, under the
 * same key names, so replicas of either version share them): create the counter with its expiry if it
 * is new, add the point, read the time left, and give an expiry back to a counter that lost its own.
 * Returns, per key, the points consumed in the window and the milliseconds left of it.
 * (Every key of a request is in one script, so under Redis Cluster they would need one hash slot.)
 */
const CONSUME_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local window = ARGV[i]
  redis.call('set', key, 0, 'EX', window, 'NX')
  local consumed = redis.call('incrby', key, 1)
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, window)
    ttl = 1000 * window
  end
  out[2 * i - 1] = consumed
  out[2 * i] = ttl
end
return out
`;
const CONSUME_COMMAND = 'gatehouseConsumeLimits';
/** What ioredis's defineCommand adds for the script: EVALSHA, falling back to EVAL once after a Redis restart. */
type ConsumeCommand = (numberOfKeys: number, ...keysThenWindows: Array<string | number>) => Promise<number[]>;

interface Outcome {
  name: LimitName;
  points: number;
  consumed: number;
  msBeforeNext: number;
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

function buildLimit(prefix: string, name: LimitName, keyName: string, points: number, duration: number): Limit {
  return {
    name,
    keyPrefix: `${prefix}:${keyName}:`,
    points,
    duration,
    // With Redis away each replica keeps limiting on its own, rather than not at all.
    insurance: new RateLimiterMemory({ points, duration }),
  };
}

/** The limits of docs/api.md "Rate limits", every number from config. Limits hold across replicas via Redis. */
export class RateLimits {
  private readonly limits: Record<LimitName, Limit>;
  private readonly consumeScript: ConsumeCommand;

  constructor(redis: Redis, config: GatewayConfig) {
    redis.defineCommand(CONSUME_COMMAND, { lua: CONSUME_SCRIPT });
    this.consumeScript = (redis as unknown as Record<typeof CONSUME_COMMAND, ConsumeCommand>)[CONSUME_COMMAND].bind(
      redis,
    );
    const p = config.RATE_LIMIT_KEY_PREFIX;
    this.limits = {
      ip: buildLimit(p, 'ip', 'ip', config.RATE_LIMIT_IP_MAX, config.RATE_LIMIT_IP_WINDOW_SECONDS),
      scimIp: buildLimit(
        p,
        'scimIp',
        'scim-ip',
        config.RATE_LIMIT_SCIM_IP_MAX,
        config.RATE_LIMIT_SCIM_IP_WINDOW_SECONDS,
      ),
      credential: buildLimit(
        p,
        'credential',
        'cred',
        config.RATE_LIMIT_CREDENTIAL_MAX,
        config.RATE_LIMIT_CREDENTIAL_WINDOW_SECONDS,
      ),
      signInIp: buildLimit(
        p,
        'signInIp',
        'signin-ip',
        config.RATE_LIMIT_SIGN_IN_MAX,
        config.RATE_LIMIT_SIGN_IN_WINDOW_SECONDS,
      ),
      signInEmail: buildLimit(
        p,
        'signInEmail',
        'signin-email',
        config.RATE_LIMIT_SIGN_IN_MAX,
        config.RATE_LIMIT_SIGN_IN_WINDOW_SECONDS,
      ),
      signUp: buildLimit(
        p,
        'signUp',
        'signup-ip',
        config.RATE_LIMIT_SIGN_UP_MAX,
        config.RATE_LIMIT_SIGN_UP_WINDOW_SECONDS,
      ),
      emailIp: buildLimit(
        p,
        'emailIp',
        'email-ip',
        config.RATE_LIMIT_EMAIL_MAX,
        config.RATE_LIMIT_EMAIL_WINDOW_SECONDS,
      ),
      emailAddress: buildLimit(
        p,
        'emailAddress',
        'email-addr',
        config.RATE_LIMIT_EMAIL_MAX,
        config.RATE_LIMIT_EMAIL_WINDOW_SECONDS,
      ),
      apiKeyCreate: buildLimit(
        p,
        'apiKeyCreate',
        'key-create',
        config.RATE_LIMIT_API_KEY_CREATE_MAX,
        config.RATE_LIMIT_API_KEY_CREATE_WINDOW_SECONDS,
      ),
      ssoStartIp: buildLimit(
        p,
        'ssoStartIp',
        'sso-start-ip',
        config.RATE_LIMIT_SSO_START_MAX,
        config.RATE_LIMIT_SSO_START_WINDOW_SECONDS,
      ),
      ssoStartEmail: buildLimit(
        p,
        'ssoStartEmail',
        'sso-start-email',
        config.RATE_LIMIT_SSO_START_MAX,
        config.RATE_LIMIT_SSO_START_WINDOW_SECONDS,
      ),
      ssoFinishIp: buildLimit(
        p,
        'ssoFinishIp',
        'sso-finish-ip',
        config.RATE_LIMIT_SSO_FINISH_MAX,
        config.RATE_LIMIT_SSO_FINISH_WINDOW_SECONDS,
      ),
      mfaIp: buildLimit(p, 'mfaIp', 'mfa-ip', config.RATE_LIMIT_MFA_IP_MAX, config.RATE_LIMIT_MFA_WINDOW_SECONDS),
      mfaAccount: buildLimit(
        p,
        'mfaAccount',
        'mfa-account',
        config.RATE_LIMIT_MFA_MAX,
        config.RATE_LIMIT_MFA_WINDOW_SECONDS,
      ),
      passkeyIp: buildLimit(
        p,
        'passkeyIp',
        'passkey-ip',
        config.RATE_LIMIT_PASSKEY_MAX,
        config.RATE_LIMIT_PASSKEY_WINDOW_SECONDS,
      ),
      stripeWebhookIp: buildLimit(
        p,
        'stripeWebhookIp',
        'stripe-webhook-ip',
        config.RATE_LIMIT_STRIPE_WEBHOOK_MAX,
        config.RATE_LIMIT_STRIPE_WEBHOOK_WINDOW_SECONDS,
      ),
    };
  }

  /**
   * Consumes every applicable limit at once, in one Redis command (one script, one round trip).
   * Returns the tightest state, or throws 429 naming every limit that refused.
   */
  async consume(keys: Partial<Record<LimitName, string>>): Promise<{ tightest: LimitState | null }> {
    const spent: Array<[Limit, string]> = [];
    for (const name in keys) {
      const key = keys[name as LimitName];
      if (key !== undefined) spent.push([this.limits[name as LimitName], key]);
    }
    if (spent.length === 0) return { tightest: null };
    const outcomes = await this.spend(spent);

    let tightest: LimitState | null = null;
    const rejected: Outcome[] = [];
    for (const outcome of outcomes) {
      const state = {
        limit: outcome.points,
        remaining: Math.max(0, outcome.points - outcome.consumed),
        resetSeconds: Math.ceil(outcome.msBeforeNext / 1000),
      };
      if (!tightest || state.remaining < tightest.remaining) tightest = state;
      if (outcome.consumed > outcome.points) rejected.push(outcome);
    }
    if (rejected.length > 0) {
      const retryAfter = Math.max(...rejected.map((outcome) => Math.ceil(outcome.msBeforeNext / 1000)), 1);
      throw Object.assign(
        new AppError('RATE_LIMIT_ERROR', `Too many requests; retry in ${retryAfter} seconds`, { retryAfter }),
        { limitState: tightest, rejectedBy: rejected.map((outcome) => outcome.name) },
      );
    }
    return { tightest };
  }

  /** One point of each, in Redis; if Redis cannot answer, in this replica's memory (the insurance). */
  private async spend(spent: Array<[Limit, string]>): Promise<Outcome[]> {
    const args: Array<string | number> = [];
    for (const [limit, key] of spent) args.push(limit.keyPrefix + key);
    for (const [limit] of spent) args.push(limit.duration);
    let reply: number[];
    try {
      reply = await this.consumeScript(spent.length, ...args);
    } catch {
      return Promise.all(spent.map(([limit, key]) => spendInMemory(limit, key)));
    }
    return spent.map(([limit], i) => ({
      name: limit.name,
      points: limit.points,
      consumed: Number(reply[2 * i]),
      msBeforeNext: Number(reply[2 * i + 1]),
    }));
  }
}

async function spendInMemory(limit: Limit, key: string): Promise<Outcome> {
  let res: RateLimiterRes;
  try {
    res = await limit.insurance.consume(key);
  } catch (outcome) {
    if (!(outcome instanceof RateLimiterRes)) throw outcome;
    res = outcome;
  }
  return { name: limit.name, points: limit.points, consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext };
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

/** The endpoint limits with a budget per account (accountLimitKeys names keys only for these). */
const ACCOUNT_LIMITS: ReadonlySet<EndpointLimit> = new Set(['apiKeyCreate', 'passwordCheck', 'mfaVerify']);

export function hasAccountLimits(limit: EndpointLimit | undefined): boolean {
  return limit !== undefined && ACCOUNT_LIMITS.has(limit);
}

/** The limits kept per account, which only the resolved credential can key: spent after resolution. */
export function accountLimitKeys(
  limit: EndpointLimit | undefined,
  ip: string,
  body: unknown,
  userId: string,
): Partial<Record<LimitName, string>> {
  return hasAccountLimits(limit) ? endpointLimitKeys(limit, ip, body, userId) : {};
}
