import {
  ConfigError,
  createLogger,
  createMailer,
  createServiceDeps,
  Keyring,
  loadConfig,
  type Mailer,
  MailRelay,
  type ServiceDeps,
} from '@gatehouse/service-kit';
import { LastUsedTracker } from './api-keys/last-used.js';
import { IdentityConfig } from './config.js';
import type { IdentityContext } from './context.js';
import { identityService } from './definition.js';
import { SessionService } from './sessions/service.js';
import { PasswordHasher } from './users/passwords.js';

/** identity's context from its config: one place, for the service (app.ts) and the operator scripts. */
export function buildIdentityContext(deps: ServiceDeps<IdentityConfig>, mailer: Mailer): IdentityContext {
  const { config } = deps;
  return {
    deps,
    config,
    hasher: new PasswordHasher({
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    }),
    sessions: new SessionService({
      idleSeconds: config.SESSION_TTL_SECONDS,
      maxAgeSeconds: config.SESSION_MAX_AGE_SECONDS,
    }),
    mail: new MailRelay(deps.orm.em, mailer, deps.logger),
    lastUsed: new LastUsedTracker(deps.orm.em, deps.logger),
    mfaKeys: Keyring.parse(config.MFA_ENCRYPTION_KEY),
  };
}

/**
 * What the operator scripts (scripts/mfa-*.ts) work with: identity's context as app.ts builds it,
 * without the HTTP side. Events and mail they cause are written to the outboxes in their transactions,
 * so they leave even if the script ends first (the running service relays them).
 */
export function operatorContext(deps: ServiceDeps<IdentityConfig>): IdentityContext {
  return buildIdentityContext(deps, createMailer(deps.config, deps.logger));
}

/**
 * Runs an operator script's work with identity's context, from the same environment as the service
 * (a configuration error is one line and exit code 1, as for the service), then disconnects.
 */
export async function withOperatorContext(name: string, work: (ctx: IdentityContext) => Promise<void>): Promise<void> {
  let config: IdentityConfig;
  try {
    config = loadConfig(IdentityConfig);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${name}: ${error.message}`);
    process.exit(1);
  }
  const deps = await createServiceDeps(identityService, config, createLogger(name, config.LOG_LEVEL));
  try {
    await work(operatorContext(deps));
  } finally {
    await deps.close();
  }
}
