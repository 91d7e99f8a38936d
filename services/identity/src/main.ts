import { runService } from '@gatehouse/service-kit';
import { buildApp } from './app.js';
import { IdentityConfig } from './config.js';
import { identityService } from './definition.js';

await runService(identityService, IdentityConfig, buildApp);
