import { runService } from '@gatehouse/service-kit';
import { buildApp } from './app.js';
import { OrganizationConfig } from './config.js';
import { organizationService } from './definition.js';

await runService(organizationService, OrganizationConfig, buildApp);
