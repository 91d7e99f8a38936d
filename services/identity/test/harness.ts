import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { smtpMailer } from '@gatehouse/service-kit';
import {
  generatePrincipalKeys,
  type PrincipalKeys,
  startTestService,
  type TestNamespace,
  type TestService,
  testNamespace,
  testServiceConfig,
} from '@gatehouse/service-kit/testing';
import { selfSignedKeyPair } from '../../../infra/local/keys.js';
import { buildApp } from '../src/app.js';
import type { IdentityConfig } from '../src/config.js';
import { identityService } from '../src/definition.js';
import { TestSmtpServer } from './smtp.js';

export interface IdentityHarness {
  ns: TestNamespace;
  keys: PrincipalKeys;
  smtp: TestSmtpServer;
  service: TestService<IdentityConfig>;
  close(): Promise<void>;
}

/** One Ed25519 signing key per test process, made the way `pnpm keys` makes one. */
export const OAUTH_TEST_SIGNING_KEY = generateKeyPairSync('ed25519')
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();

/** One SAML SP key pair per test process, made the way `pnpm keys` makes one. */
export const SAML_TEST_SP = selfSignedKeyPair('Gatehouse test SP');

export function identityTestConfig(ns: TestNamespace, keys: PrincipalKeys, overrides: Record<string, unknown> = {}) {
  return testServiceConfig('identity', ns, keys, {
    PUBLIC_URL: 'http://localhost:8080',
    SESSION_COOKIE_NAME: 'gatehouse_session',
    SESSION_TTL_SECONDS: 7 * 24 * 3600,
    SESSION_MAX_AGE_SECONDS: 30 * 24 * 3600,
    ARGON2_MEMORY_KIB: 19_456,
    ARGON2_TIME_COST: 2,
    ARGON2_PARALLELISM: 1,
    MAIL_FROM: 'Gatehouse <no-reply@example.test>',
    MAIL_OUTBOX_DIR: '.data/test-mail',
    VERIFY_EMAIL_TTL_SECONDS: 24 * 3600,
    PASSWORD_RESET_TTL_SECONDS: 3600,
    API_KEY_MAX_PER_USER: 5,
    API_KEY_MIN_EXPIRES_IN: 3600,
    API_KEY_MAX_EXPIRES_IN: 365 * 24 * 3600,
    API_KEY_ALLOW_NO_EXPIRY: true,
    CREDENTIAL_CACHE_SECONDS: 15,
    OAUTH_SIGNING_KEYS: OAUTH_TEST_SIGNING_KEY,
    OAUTH_COOKIE_KEYS: randomBytes(32).toString('base64url'),
    OAUTH_ACCESS_TOKEN_TTL_SECONDS: 600,
    OAUTH_REFRESH_TOKEN_TTL_SECONDS: 30 * 24 * 3600,
    OAUTH_GRANT_TTL_SECONDS: 365 * 24 * 3600,
    OAUTH_DYNAMIC_REGISTRATION: false,
    OAUTH_APPS_MAX_PER_USER: 25,
    SSO_SECRET_KEY: randomBytes(32).toString('base64'),
    MFA_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
    MFA_TOTP_ISSUER: 'Gatehouse',
    MFA_CHALLENGE_TTL_SECONDS: 300,
    MFA_CHALLENGE_MAX_ATTEMPTS: 5,
    MFA_STEP_UP_SECONDS: 600,
    WEBAUTHN_RP_NAME: 'Gatehouse',
    WEBAUTHN_EXTRA_ORIGINS: '',
    MAGIC_LINK_TTL_SECONDS: 900,
    SAML_SP_PRIVATE_KEY: SAML_TEST_SP.privateKeyPem,
    SAML_SP_CERTIFICATE: SAML_TEST_SP.certificatePem,
    SSO_RETURN_TO_ORIGINS: '',
    SSO_LOGIN_TTL_SECONDS: 600,
    // The tests' IdPs are on loopback.
    SSO_ALLOW_PRIVATE_IDP: true,
    ...overrides,
  }) as unknown as IdentityConfig;
}

export async function startIdentity(overrides: Record<string, unknown> = {}): Promise<IdentityHarness> {
  const ns = testNamespace();
  const keys = await generatePrincipalKeys();
  const smtp = new TestSmtpServer();
  const smtpUrl = await smtp.start();
  const config = identityTestConfig(ns, keys, { SMTP_URL: smtpUrl, ...overrides });
  const service = await startTestService(identityService, config, keys, (deps) =>
    buildApp(deps, { mailer: smtpMailer(smtpUrl, config.MAIL_FROM) }),
  );
  return {
    ns,
    keys,
    smtp,
    service,
    async close() {
      await service.close();
      await smtp.stop();
    },
  };
}
