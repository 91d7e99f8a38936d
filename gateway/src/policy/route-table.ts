import type { HttpMethod, RoutePolicy, TokenScope } from '@gatehouse/contracts';

const any = (...anyOf: TokenScope[]) => ({ anyOf });
const ORG = '/api/user/organizations/:organizationId';
/**
 * Credential management (API keys, OAuth apps, OAuth grants) is refused to OAuth access tokens:
 * a third-party app must not mint credentials that outlive the grant the user can revoke.
 */
const CREDENTIAL_MANAGERS: RoutePolicy['credentials'] = ['session', 'api_key'];
/**
 * What only the person may do: prove the password again (change it) or end the account. A key or
 * an app holding `user:write` must not be a way to guess the password or delete the account.
 */
const PERSON_ONLY: RoutePolicy['credentials'] = ['session'];

function oauthManagement(method: HttpMethod, path: string): RoutePolicy {
  return {
    method,
    path,
    upstream: 'identity',
    auth: 'required',
    scopes: any(method === 'GET' ? 'user:read' : 'user:write'),
    credentials: CREDENTIAL_MANAGERS,
  };
}

/**
 * Every route that reaches a service, in one place. A request that matches no line is
 * answered 404 by the gateway and never proxied. `scopes` is what a PAT or OAuth token
 * needs (a session holds every scope); roles are checked by the owning service.
 */
export const ROUTE_TABLE: RoutePolicy[] = [
  // Auth (identity)
  { method: 'POST', path: '/api/auth/sign-up/email', upstream: 'identity', auth: 'none', limit: 'signUp' },
  { method: 'POST', path: '/api/auth/sign-in/email', upstream: 'identity', auth: 'none', limit: 'signIn' },
  { method: 'POST', path: '/api/auth/sign-out', upstream: 'identity', auth: 'required' },
  {
    method: 'POST',
    path: '/api/auth/send-verification-email',
    upstream: 'identity',
    auth: 'none',
    limit: 'verificationEmail',
  },
  // Optional: identity learns whether the person following the link is signed in as that account.
  { method: 'GET', path: '/api/auth/verify-email', upstream: 'identity', auth: 'optional' },
  {
    method: 'POST',
    path: '/api/auth/request-password-reset',
    upstream: 'identity',
    auth: 'none',
    limit: 'passwordReset',
  },
  { method: 'POST', path: '/api/auth/reset-password', upstream: 'identity', auth: 'none' },
  {
    method: 'POST',
    path: '/api/auth/change-password',
    upstream: 'identity',
    auth: 'required',
    scopes: any('user:write'),
    credentials: PERSON_ONLY,
    limit: 'passwordCheck',
  },
  // Personal Access Tokens (identity); never through an OAuth token.
  {
    method: 'POST',
    path: '/api/auth/api-key/create',
    upstream: 'identity',
    auth: 'required',
    scopes: any('api-keys:write'),
    credentials: CREDENTIAL_MANAGERS,
    limit: 'apiKeyCreate',
  },
  {
    method: 'GET',
    path: '/api/auth/api-key/list',
    upstream: 'identity',
    auth: 'required',
    scopes: any('api-keys:read'),
    credentials: CREDENTIAL_MANAGERS,
  },
  {
    method: 'GET',
    path: '/api/auth/api-key/get',
    upstream: 'identity',
    auth: 'required',
    scopes: any('api-keys:read'),
    credentials: CREDENTIAL_MANAGERS,
  },
  {
    method: 'POST',
    path: '/api/auth/api-key/update',
    upstream: 'identity',
    auth: 'required',
    scopes: any('api-keys:write'),
    credentials: CREDENTIAL_MANAGERS,
  },
  {
    method: 'POST',
    path: '/api/auth/api-key/delete',
    upstream: 'identity',
    auth: 'required',
    scopes: any('api-keys:delete'),
    credentials: CREDENTIAL_MANAGERS,
  },
  // Account (identity)
  { method: 'GET', path: '/api/user/me', upstream: 'identity', auth: 'required', scopes: any('user:read') },
  {
    method: 'PUT',
    path: '/api/user/me',
    upstream: 'identity',
    auth: 'required',
    scopes: any('user:write'),
    accountWide: true,
  },
  {
    method: 'DELETE',
    path: '/api/user/me',
    upstream: 'identity',
    auth: 'required',
    scopes: any('user:write'),
    credentials: PERSON_ONLY,
  },
  { method: 'GET', path: '/api/user/me/export', upstream: 'identity', auth: 'required', scopes: any('user:read') },
  {
    method: 'GET',
    path: '/api/user/me/login-history',
    upstream: 'identity',
    auth: 'required',
    scopes: any('user:read'),
  },
  // Sessions are credentials: managed with a session or a key, never an OAuth token, and account-wide.
  {
    method: 'GET',
    path: '/api/user/sessions',
    upstream: 'identity',
    auth: 'required',
    scopes: any('user:read'),
    credentials: CREDENTIAL_MANAGERS,
    accountWide: true,
  },
  {
    method: 'DELETE',
    path: '/api/user/sessions/:sessionId',
    upstream: 'identity',
    auth: 'required',
    scopes: any('user:write'),
    credentials: CREDENTIAL_MANAGERS,
    accountWide: true,
  },
  // OAuth apps a user owns, and the grants a user gave (identity); never through an OAuth token.
  ...(['GET', 'POST'] as const).map((method) => oauthManagement(method, '/api/user/oauth-apps')),
  ...(['GET', 'PUT', 'DELETE'] as const).map((method) => oauthManagement(method, '/api/user/oauth-apps/:id')),
  oauthManagement('GET', '/api/user/oauth-grants'),
  oauthManagement('DELETE', '/api/user/oauth-grants/:grantId'),
  // Organizations, members, invitations (organization)
  {
    method: 'GET',
    path: '/api/user/organizations',
    upstream: 'organization',
    auth: 'required',
    scopes: any('user:read', 'organizations:read'),
  },
  {
    method: 'POST',
    path: '/api/user/organizations',
    upstream: 'organization',
    auth: 'required',
    scopes: any('organizations:write'),
    // A key pinned to one organization does not found others.
    accountWide: true,
  },
  {
    method: 'GET',
    path: ORG,
    upstream: 'organization',
    auth: 'required',
    scopes: any('user:read', 'organizations:read'),
    tenant: true,
  },
  {
    method: 'PUT',
    path: ORG,
    upstream: 'organization',
    auth: 'required',
    scopes: any('organizations:write'),
    tenant: true,
  },
  {
    method: 'DELETE',
    path: ORG,
    upstream: 'organization',
    auth: 'required',
    scopes: any('organizations:write'),
    tenant: true,
  },
  {
    method: 'GET',
    path: `${ORG}/my-membership`,
    upstream: 'organization',
    auth: 'required',
    scopes: any('user:read', 'organizations:read'),
    tenant: true,
  },
  {
    method: 'GET',
    path: `${ORG}/members`,
    upstream: 'organization',
    auth: 'required',
    scopes: any('members:read'),
    tenant: true,
  },
  {
    method: 'PUT',
    path: `${ORG}/members/:memberId/role`,
    upstream: 'organization',
    auth: 'required',
    scopes: any('members:write'),
    tenant: true,
  },
  {
    method: 'DELETE',
    path: `${ORG}/members/:memberId`,
    upstream: 'organization',
    auth: 'required',
    scopes: any('members:write'),
    tenant: true,
  },
  {
    method: 'GET',
    path: `${ORG}/invites`,
    upstream: 'organization',
    auth: 'required',
    scopes: any('members:read'),
    tenant: true,
  },
  {
    method: 'POST',
    path: `${ORG}/invites`,
    upstream: 'organization',
    auth: 'required',
    scopes: any('members:write'),
    tenant: true,
  },
  {
    method: 'DELETE',
    path: `${ORG}/invites/:inviteId`,
    upstream: 'organization',
    auth: 'required',
    scopes: any('members:write'),
    tenant: true,
  },
  {
    method: 'POST',
    path: `${ORG}/invites/:inviteId/resend`,
    upstream: 'organization',
    auth: 'required',
    scopes: any('members:write'),
    tenant: true,
  },
  {
    method: 'POST',
    path: '/api/user/invites/:token/accept',
    upstream: 'organization',
    auth: 'required',
    scopes: any('user:write'),
    // Joining another organization is the account's act, not one organization's key's.
    accountWide: true,
  },
  // Projects (project)
  {
    method: 'GET',
    path: `${ORG}/projects`,
    upstream: 'project',
    auth: 'required',
    scopes: any('projects:read'),
    tenant: true,
  },
  {
    method: 'POST',
    path: `${ORG}/projects`,
    upstream: 'project',
    auth: 'required',
    scopes: any('projects:write'),
    tenant: true,
  },
  {
    method: 'GET',
    path: `${ORG}/projects/:projectId`,
    upstream: 'project',
    auth: 'required',
    scopes: any('projects:read'),
    tenant: true,
  },
  {
    method: 'PUT',
    path: `${ORG}/projects/:projectId`,
    upstream: 'project',
    auth: 'required',
    scopes: any('projects:write'),
    tenant: true,
  },
  {
    method: 'DELETE',
    path: `${ORG}/projects/:projectId`,
    upstream: 'project',
    auth: 'required',
    scopes: any('projects:write'),
    tenant: true,
  },
];
