import type { OAuthApp } from '../oauth-store/entities.js';

/** What the API shows of an app: never its secret or the secret's hash. */
export function presentOAuthApp(app: OAuthApp) {
  return {
    id: app.id,
    clientId: app.id,
    name: app.name,
    type: app.clientType,
    redirectUris: app.redirectUris,
    allowedScopes: app.allowedScopes,
    secretStart: app.secretStart,
    organizationId: app.organizationId,
    createdAt: app.createdAt.toISOString(),
    updatedAt: app.updatedAt.toISOString(),
  };
}
