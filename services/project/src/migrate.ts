// Applies this service's pending migrations once (a Kubernetes Job per release, an upgrade by hand), then exits.
import { runMigrations } from '@gatehouse/service-kit';
import { ProjectConfig } from './config.js';
import { projectService } from './definition.js';

await runMigrations(projectService, ProjectConfig);
