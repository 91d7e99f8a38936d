// Applies this service's pending migrations once (a Kubernetes Job per release, an upgrade by hand), then exits.
import { runMigrations } from '@gatehouse/service-kit';
import { AuditConfig } from './config.js';
import { auditService } from './definition.js';

await runMigrations(auditService, AuditConfig);
