export * from './envelope.js';
export * from './errors.js';
export * from './events.js';
export * from './ids.js';
export * from './pagination.js';
export * from './policy.js';
export * from './principal.js';
export * from './scopes.js';
