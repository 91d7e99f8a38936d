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
  /**
   * OAuth signing keys: one or more PKCS#8 PEM private keys (Ed25519 or P-256), concatenated.
   * The first signs; the rest stay published in the JWKS so tokens they signed still verify
   * while a rotation completes (docs/oauth.md "Rotating signing keys").
   */
  OAUTH_SIGNING_KEYS: Type.String({ minLength: 1 }),
  /** Secrets that sign oidc-provider's cookies, comma-separated; the first signs, all verify. */
  OAUTH_COOKIE_KEYS: Type.String({ minLength: 32 }),
  OAUTH_ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 3600, default: 600 }),
  OAUTH_REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 3600, default: 30 * 24 * 3600 }),
  /** A grant lives this long without use; each refresh extends it. */
  OAUTH_GRANT_TTL_SECONDS: Type.Integer({ minimum: 3600, default: 365 * 24 * 3600 }),
  /** RFC 7591 dynamic client registration at /oauth2/reg. */
  OAUTH_DYNAMIC_REGISTRATION: Type.Boolean({ default: false }),
  /** When set, dynamic registration needs `Authorization: Bearer <this>` (an initial access token). */
  OAUTH_REGISTRATION_TOKEN: Type.Optional(Type.String({ minLength: 32 })),
  OAUTH_APPS_MAX_PER_USER: Type.Integer({ minimum: 1, default: 25 }),
  /** Base64 of 32 random bytes: the AES-256-GCM key sealing OIDC client secrets of SSO connections. */
  SSO_SECRET_KEY: Type.String({ pattern: '^[A-Za-z0-9+/_-]{43}=?$' }),
  /** PEM private key and X.509 certificate our SAML service provider signs metadata and AuthnRequests with. */
  SAML_SP_PRIVATE_KEY: Type.String({ minLength: 100 }),
  SAML_SP_CERTIFICATE: Type.String({ minLength: 100 }),
  /** `host:port` list, comma-separated, for domain verification lookups; unset: the system's resolvers. */
  DNS_SERVERS: Type.Optional(Type.String({ pattern: '^\\s*[^,\\s]+(\\s*,\\s*[^,\\s]+)*\\s*$' })),
  /**
   * Lets an OIDC connection's issuer (and the endpoints its discovery names) be on a loopback,
   * private, link-local or CGNAT address. Off in production, so an admin cannot point identity's
   * fetches at its own network (SSRF); tests and `pnpm start` turn it on for their loopback IdPs.
   */
  SSO_ALLOW_PRIVATE_IDP: Type.Boolean({ default: false }),
  /** Origins allowed as an SSO `returnTo` besides PUBLIC_URL's own, comma-separated. */
  SSO_RETURN_TO_ORIGINS: Type.String({ default: '' }),
  /** How long a started SSO sign-in may take (the login request and its state cookie). */
  SSO_LOGIN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 3600, default: 600 }),
  /** How often each verified domain's TXT record is looked up again (sso/domain-recheck.ts). */
  SSO_DOMAIN_RECHECK_HOURS: Type.Integer({ minimum: 1, maximum: 720, default: 24 }),
  /**
   * Keys sealing authenticator-app secrets (AES-256-GCM): `kid:base64(32 bytes)`, comma-separated. The first
   * seals, every one opens (docs/mfa.md "Rotating the key"); a bare key is kid `k1`.
   */
  MFA_ENCRYPTION_KEY: Type.String({
    pattern: '^(?:[A-Za-z0-9_-]{1,16}:)?[A-Za-z0-9+/_-]{43}=?(?:,(?:[A-Za-z0-9_-]{1,16}:)?[A-Za-z0-9+/_-]{43}=?)*$',
  }),
  /** The issuer an authenticator app shows next to the account. */
  MFA_TOTP_ISSUER: Type.String({ minLength: 1, maxLength: 64, default: 'Gatehouse' }),
  /** How long a second-factor challenge (and a WebAuthn ceremony) may be answered. */
  MFA_CHALLENGE_TTL_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 300 }),
  /** Wrong answers a challenge allows; the next one is refused even when right. */
  MFA_CHALLENGE_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 20, default: 5 }),
  /** How recent a session's second factor must be for a sensitive change (step-up). */
  MFA_STEP_UP_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 600 }),
  /** The relying party name a passkey prompt shows; the RP id is PUBLIC_URL's host. */
  WEBAUTHN_RP_NAME: Type.String({ minLength: 1, maxLength: 64, default: 'Gatehouse' }),
  /** Origins besides PUBLIC_URL's own that may present passkeys (comma-separated; e.g. the console's dev server). */
  WEBAUTHN_EXTRA_ORIGINS: Type.String({
    default: '',
    // Checked here, so a bad value stops the start instead of failing every passkey request.
    pattern:
      '^(?:\\s*https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?\\s*(?:,\\s*https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?\\s*)*)?$',
  }),
  /** How long a mailed sign-in link works. */
  MAGIC_LINK_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 3600, default: 900 }),
});
export type IdentityConfig = Static<typeof IdentityConfig>;
