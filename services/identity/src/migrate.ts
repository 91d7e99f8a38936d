// Applies this service's pending migrations once (a Kubernetes Job per release, an upgrade by hand), then exits.
import { runMigrations } from '@gatehouse/service-kit';
import { IdentityConfig } from './config.js';
import { identityService } from './definition.js';

await runMigrations(identityService, IdentityConfig);
