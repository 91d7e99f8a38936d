export * from './entities.js';
export * from './mailer.js';
export * from './outbox.js';
