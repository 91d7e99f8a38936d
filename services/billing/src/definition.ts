import type { ServiceDefinition } from '@gatehouse/service-kit';
import { migrations } from '../migrations/index.js';

export const billingService: ServiceDefinition = {
  name: 'billing',
  entities: [],
  migrations,
  retention: [
    // Stripe stops retrying a delivery after three days; a month of event ids is plenty to refuse replays.
    { table: 'stripe_events', expired: "received_at < now() - interval '30 days'" },
  ],
};
