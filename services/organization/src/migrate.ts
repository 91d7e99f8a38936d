// Applies this service's pending migrations once (a Kubernetes Job per release, an upgrade by hand), then exits.
import { runMigrations } from '@gatehouse/service-kit';
import { OrganizationConfig } from './config.js';
import { organizationService } from './definition.js';

await runMigrations(organizationService, OrganizationConfig);
