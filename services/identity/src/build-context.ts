import type { Mailer, ServiceDeps } from '@gatehouse/service-kit';
import { MailRelay } from '@gatehouse/service-kit';
import { LastUsedTracker } from './api-keys/last-used.js';
import type { IdentityConfig } from './config.js';
import type { IdentityContext } from './context.js';
import { Keyring } from './sealing/keyring.js';
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
