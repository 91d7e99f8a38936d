import { OIDC_SCOPE_DESCRIPTIONS, OIDC_SCOPES } from '@gatehouse/contracts/scopes';
import type { components } from '@gatehouse/sdk';
import { TOKEN_SCOPES } from './scopes';

/** A scope an OAuth app may be allowed: the API scopes plus the OpenID ones. */
export type OAuthScope = components['schemas']['OAuthApp']['allowedScopes'][number];

/** The OpenID scopes first, in the words identity's consent page uses, then the API scopes. */
export const OAUTH_SCOPES: ReadonlyArray<{ name: OAuthScope; description: string }> = [
  ...OIDC_SCOPES.map((name) => ({ name, description: OIDC_SCOPE_DESCRIPTIONS[name] })),
  ...TOKEN_SCOPES,
];
