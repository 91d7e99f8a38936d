import { ACCOUNT_ROUTES } from './account.js';
import { API_KEY_ROUTES } from './api-keys.js';
import { AUTH_ROUTES } from './auth.js';
import { OAUTH_APP_ROUTES } from './oauth-management.js';

export * from './account.js';
export * from './api-keys.js';
export * from './auth.js';
export * from './authorization-server.js';
export * from './oauth-answers.js';
export * from './oauth-management.js';
export * from './schemas.js';

/** identity's routes in the gateway's route table, in the order the reference lists them. */
export const IDENTITY_ROUTES = { ...AUTH_ROUTES, ...API_KEY_ROUTES, ...ACCOUNT_ROUTES, ...OAUTH_APP_ROUTES } as const;
