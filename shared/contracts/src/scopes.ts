/** Scopes a Personal Access Token or an OAuth access token can carry (docs/api-keys.md lists them for people). */
export const TOKEN_SCOPES = [
  'user:read',
  'user:write',
  'projects:read',
  'projects:write',
  'subscription:read',
  'subscription:write',
  'api-keys:read',
  'api-keys:write',
  'api-keys:delete',
  'organizations:read',
  'organizations:write',
  'members:read',
  'members:write',
  'payments:read',
  'audit-logs:read',
  'webhooks:read',
  'webhooks:write',
] as const;

export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Extra scopes only an OAuth client may request (OpenID Connect). */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

const TOKEN_SCOPE_SET: ReadonlySet<string> = new Set(TOKEN_SCOPES);

export function isTokenScope(value: string): value is TokenScope {
  return TOKEN_SCOPE_SET.has(value);
}

const OIDC_SCOPE_SET: ReadonlySet<string> = new Set(OIDC_SCOPES);

/** Whatever an OAuth client may ask for: a token scope or an OpenID one. */
export function isOAuthScope(value: string): boolean {
  return TOKEN_SCOPE_SET.has(value) || OIDC_SCOPE_SET.has(value);
}

export const ROLES = ['owner', 'admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Permissions come from membership at request time; no token can ask for them. */
export const ROLE_PERMISSIONS = {
  'organization:read': ['owner', 'admin', 'member'],
  'organization:manage-members': ['owner', 'admin'],
  'organization:manage-billing': ['owner'],
  'organization:manage-security': ['owner'],
} as const satisfies Record<string, readonly Role[]>;

export type RolePermission = keyof typeof ROLE_PERMISSIONS;

export function roleHasPermission(role: Role, permission: RolePermission): boolean {
  return (ROLE_PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** What an OpenID scope lets an app do, in the words of the consent page and the console. */
export const OIDC_SCOPE_DESCRIPTIONS: Record<(typeof OIDC_SCOPES)[number], string> = {
  openid: 'Know who you are (your Gatehouse user id)',
  profile: 'See your name and handle',
  email: 'See your email address and whether it is verified',
  offline_access: 'Stay connected when you are not using it (until you revoke access)',
};

/** Plain-words descriptions, used in docs, on consent screens and in the console. */
export const SCOPE_DESCRIPTIONS: Record<TokenScope, string> = {
  'user:read': 'Read your profile, sessions and organization list',
  'user:write': 'Change your profile and delete your account',
  'projects:read': 'Read projects in your organizations',
  'projects:write': 'Create, change and delete projects in your organizations',
  'subscription:read': 'Read subscriptions',
  'subscription:write': 'Change subscriptions',
  'api-keys:read': 'List your API keys (never their values)',
  'api-keys:write': 'Create and change API keys',
  'api-keys:delete': 'Delete API keys',
  'organizations:read': 'Read organizations you belong to',
  'organizations:write': 'Create and change organizations',
  'members:read': 'Read organization members and invitations',
  'members:write': 'Invite, change and remove organization members',
  'payments:read': 'Read payment history',
  'audit-logs:read': "Read audit logs: your account's, and your organizations' where your role allows",
  'webhooks:read': "Read organizations' webhook endpoints and their delivery logs",
  'webhooks:write': 'Add, change, test and remove webhook endpoints, and redeliver',
};
