import { mailConfigProperties, serviceConfigProperties } from '@gatehouse/service-kit';
import { type Static, Type } from 'typebox';

export const IdentityConfig = Type.Object({
  ...serviceConfigProperties('identity', 4001),
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:8080' }),
  SESSION_COOKIE_NAME: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', default: 'gatehouse_session' }),
  /** Idle timeout: each use slides it forward. */
  SESSION_TTL_SECONDS: Type.Integer({ minimum: 60, default: 7 * 24 * 3600 }),
  /** Absolute lifetime, however active the session. */
  SESSION_MAX_AGE_SECONDS: Type.Integer({ minimum: 60, default: 30 * 24 * 3600 }),
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 19_456, default: 19_456 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 2, default: 2 }),
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, default: 1 }),
  ...mailConfigProperties(),
  VERIFY_EMAIL_TTL_SECONDS: Type.Integer({ minimum: 60, default: 24 * 3600 }),
  PASSWORD_RESET_TTL_SECONDS: Type.Integer({ minimum: 60, default: 3600 }),
  API_KEY_MAX_PER_USER: Type.Integer({ minimum: 1, default: 50 }),
  API_KEY_MIN_EXPIRES_IN: Type.Integer({ minimum: 60, default: 3600 }),
  API_KEY_MAX_EXPIRES_IN: Type.Integer({ minimum: 60, default: 365 * 24 * 3600 }),
  API_KEY_ALLOW_NO_EXPIRY: Type.Boolean({ default: true }),
  /** How long the gateway may cache a resolved credential. */
  CREDENTIAL_CACHE_SECONDS: Type.Integer({ minimum: 0, maximum: 30, default: 15 }),
});
export type IdentityConfig = Static<typeof IdentityConfig>;
