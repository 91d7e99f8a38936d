// Everything: the database-free half (./edge.js, all the gateway imports) and what needs a database.
export * from './activity.js';
export * from './consumer.js';
export * from './db.js';
export * from './db-breaker.js';
export * from './edge.js';
export * from './entitlements-read-model.js';
export * from './mail/index.js';
export * from './membership-read-model.js';
export * from './outbox.js';
export * from './pagination.js';
export * from './routes.js';
export * from './service.js';
