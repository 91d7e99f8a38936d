import { LOG_LEVELS, type LogLevel } from '@gatehouse/service-kit/edge';
import { type Static, Type } from 'typebox';

const Url = Type.String({ pattern: '^https?://' });
/** A comma-separated list, e.g. "https://app.example.com,https://admin.example.com". */
const List = Type.String({ default: '' });

export const GatewayConfig = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  GATEWAY_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  /**
   * When set, /metrics is served only on this port (a listener of its own, for Prometheus) and GATEWAY_PORT
   * answers 404 for it: behind an Ingress the gateway's port is the internet's. Unset: /metrics on GATEWAY_PORT.
   */
  METRICS_PORT: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:8080' }),
  IDENTITY_URL: Type.String({ ...Url, default: 'http://127.0.0.1:4001' }),
  ORGANIZATION_URL: Type.String({ ...Url, default: 'http://127.0.0.1:4002' }),
  PROJECT_URL: Type.String({ ...Url, default: 'http://127.0.0.1:4003' }),
  AUDIT_URL: Type.String({ ...Url, default: 'http://127.0.0.1:4005' }),
  BILLING_URL: Type.String({ ...Url, default: 'http://127.0.0.1:4006' }),
  /** The web console's static server (services/console), served at `/`. */
  CONSOLE_URL: Type.String({ ...Url, default: 'http://127.0.0.1:4004' }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  NATS_URL: Type.String({ default: 'nats://127.0.0.1:4222' }),
  NATS_CREDS: Type.Optional(Type.String()),
  NATS_TOKEN: Type.Optional(Type.String()),
  NATS_SUBJECT_PREFIX: Type.String({ default: '', pattern: '^([A-Za-z0-9_-]+\\.)?$' }),
  /** Signs the principal token services verify (Ed25519 PKCS#8 PEM). */
  PRINCIPAL_PRIVATE_KEY: Type.String({ minLength: 40 }),
  SESSION_COOKIE_NAME: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', default: 'gatehouse_session' }),
  CORS_ORIGINS: List,
  TRUSTED_PROXIES: List,
  BODY_LIMIT: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  /** Slow clients: time to send every header, and the whole request with its body (then 408, closed). */
  HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 30_000 }),
  /** Above a load balancer's idle timeout (60 s on most), so the balancer is the one to close. */
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 72_000 }),
  /** Open connections per peer address; further ones are closed at once. 0 turns the cap off. */
  MAX_CONNECTIONS_PER_IP: Type.Integer({ minimum: 0, default: 100 }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /** Per-upstream breaker: opens when more than this percentage of calls in the window failed… */
  UPSTREAM_BREAKER_ERROR_PERCENT: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  /** …once the window holds at least this many calls… */
  UPSTREAM_BREAKER_MIN_CALLS: Type.Integer({ minimum: 1, default: 10 }),
  UPSTREAM_BREAKER_WINDOW_MS: Type.Integer({ minimum: 1000, default: 10_000 }),
  /** …and lets one trial call through after this long (short: a restarted service is back in ~1 s). */
  UPSTREAM_BREAKER_RESET_MS: Type.Integer({ minimum: 100, default: 1000 }),
  CREDENTIAL_CACHE_MAX_SECONDS: Type.Integer({ minimum: 0, maximum: 30, default: 30 }),
  CREDENTIAL_NEGATIVE_CACHE_SECONDS: Type.Integer({ minimum: 0, maximum: 30, default: 3 }),
  CREDENTIAL_RESOLVE_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 2000 }),
  RATE_LIMIT_IP_MAX: Type.Integer({ minimum: 1, default: 500 }),
  RATE_LIMIT_IP_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  RATE_LIMIT_CREDENTIAL_MAX: Type.Integer({ minimum: 1, default: 1000 }),
  RATE_LIMIT_CREDENTIAL_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  /**
   * /scim/v2 per IP, in place of RATE_LIMIT_IP_*: an IdP provisions from a few egress addresses that all
   * of its customers share, so the per-person budget would starve them; each SCIM token is still held to
   * RATE_LIMIT_CREDENTIAL_*.
   */
  RATE_LIMIT_SCIM_IP_MAX: Type.Integer({ minimum: 1, default: 6000 }),
  RATE_LIMIT_SCIM_IP_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  /**
   * POST /api/webhooks/stripe per IP, in place of RATE_LIMIT_IP_*: Stripe delivers from a few shared
   * addresses, in bursts (a replay after an outage); each delivery is verified by its signature.
   */
  RATE_LIMIT_STRIPE_WEBHOOK_MAX: Type.Integer({ minimum: 1, default: 600 }),
  RATE_LIMIT_STRIPE_WEBHOOK_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  RATE_LIMIT_SIGN_IN_MAX: Type.Integer({ minimum: 1, default: 5 }),
  RATE_LIMIT_SIGN_IN_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  RATE_LIMIT_SIGN_UP_MAX: Type.Integer({ minimum: 1, default: 3 }),
  RATE_LIMIT_SIGN_UP_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  RATE_LIMIT_EMAIL_MAX: Type.Integer({ minimum: 1, default: 3 }),
  RATE_LIMIT_EMAIL_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  /** Starting an SSO sign-in (identify, discover), per IP and per email. */
  RATE_LIMIT_SSO_START_MAX: Type.Integer({ minimum: 1, default: 10 }),
  RATE_LIMIT_SSO_START_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  /** An IdP's answer (OIDC callback, SAML ACS), per IP: each one costs a token redemption or a signature check. */
  RATE_LIMIT_SSO_FINISH_MAX: Type.Integer({ minimum: 1, default: 10 }),
  RATE_LIMIT_SSO_FINISH_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  RATE_LIMIT_API_KEY_CREATE_MAX: Type.Integer({ minimum: 1, default: 20 }),
  RATE_LIMIT_API_KEY_CREATE_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 3600 }),
  /** Second-factor attempts (and step-up starts) per account, across its challenges. */
  RATE_LIMIT_MFA_MAX: Type.Integer({ minimum: 1, default: 10 }),
  RATE_LIMIT_MFA_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 900 }),
  /** …and per IP, over the same window: a few accounts' worth, so one office behind one address is not locked out. */
  RATE_LIMIT_MFA_IP_MAX: Type.Integer({ minimum: 1, default: 30 }),
  /** Starting or finishing a passwordless passkey sign-in, per IP. */
  RATE_LIMIT_PASSKEY_MAX: Type.Integer({ minimum: 1, default: 20 }),
  RATE_LIMIT_PASSKEY_WINDOW_SECONDS: Type.Integer({ minimum: 1, default: 60 }),
  /** Redis keys are namespaced, so tests and deployments sharing a Redis do not collide. */
  RATE_LIMIT_KEY_PREFIX: Type.String({ default: 'gh:rl' }),
  /**
   * Security events (a key refused a route, an account rate-limited) waiting for NATS: beyond this many the
   * oldest are dropped (gateway_activity_dropped_total). Best-effort observations, never on a request's path.
   */
  ACTIVITY_QUEUE_MAX: Type.Integer({ minimum: 1, default: 1000 }),
  LOG_LEVEL: Type.Unsafe<LogLevel>({ type: 'string', enum: [...LOG_LEVELS], default: 'info' }),
});
export type GatewayConfig = Static<typeof GatewayConfig>;

export function listOf(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
