import { MAIL_RETENTION, QueuedMailSchema, type ServiceDefinition } from '@gatehouse/service-kit';
import { migrations } from '../migrations/index.js';

export const auditService: ServiceDefinition = {
  name: 'audit',
  entities: [QueuedMailSchema],
  migrations,
  retention: [
    ...MAIL_RETENTION,
    // Delivered or failed messages are kept 30 days in the delivery log.
    { table: 'webhook_deliveries', expired: "status <> 'pending' and completed_at < now() - interval '30 days'" },
  ],
};
