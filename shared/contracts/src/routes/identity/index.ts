import { ACCOUNT_ROUTES } from './account.js';
import { API_KEY_ROUTES } from './api-keys.js';
import { AUTH_ROUTES } from './auth.js';
import { DIRECTORY_ROUTES } from './directories.js';
import { MFA_ROUTES } from './mfa.js';
import { OAUTH_APP_ROUTES } from './oauth-management.js';
import { SCIM_ROUTES } from './scim.js';
import { SSO_ADMIN_ROUTES } from './sso-admin.js';
import { SSO_SAML_ROUTES } from './sso-saml.js';
import { SSO_SIGN_IN_ROUTES } from './sso-sign-in.js';

export * from './account.js';
export * from './api-keys.js';
export * from './auth.js';
export * from './authorization-server.js';
export * from './directories.js';
export * from './mfa.js';
export * from './oauth-answers.js';
export * from './oauth-management.js';
export * from './schemas.js';
export * from './scim.js';
export * from './sso-admin.js';
export * from './sso-saml.js';
export * from './sso-sign-in.js';

/** identity's routes in the gateway's route table, in the order the reference lists them. */
export const IDENTITY_ROUTES = {
  ...AUTH_ROUTES,
  ...MFA_ROUTES,
  ...API_KEY_ROUTES,
  ...ACCOUNT_ROUTES,
  ...OAUTH_APP_ROUTES,
  ...SSO_ADMIN_ROUTES,
  ...SSO_SIGN_IN_ROUTES,
  ...SSO_SAML_ROUTES,
  ...DIRECTORY_ROUTES,
  ...SCIM_ROUTES,
} as const;
