import { runService } from '@gatehouse/service-kit';
import { buildApp } from './app.js';
import { BillingConfig } from './config.js';
import { billingService } from './definition.js';

await runService(billingService, BillingConfig, buildApp);
