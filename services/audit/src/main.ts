import { runService } from '@gatehouse/service-kit';
import { buildApp } from './app.js';
import { AuditConfig } from './config.js';
import { auditService } from './definition.js';

await runService(auditService, AuditConfig, buildApp);
