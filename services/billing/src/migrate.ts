// Applies this service's pending migrations once (a Kubernetes Job per release, an upgrade by hand), then exits.
import { runMigrations } from '@gatehouse/service-kit';
import { BillingConfig } from './config.js';
import { billingService } from './definition.js';

await runMigrations(billingService, BillingConfig);
