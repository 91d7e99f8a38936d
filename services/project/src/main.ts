import { runService } from '@gatehouse/service-kit';
import { buildApp } from './app.js';
import { ProjectConfig } from './config.js';
import { projectService } from './definition.js';

await runService(projectService, ProjectConfig, buildApp);
