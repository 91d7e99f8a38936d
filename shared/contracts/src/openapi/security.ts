import type { CredentialKind } from '../principal.js';
import type { RouteContract } from '../routes/contract.js';
import type { OIDC_SCOPES } from '../scopes.js';
import { SCOPE_DESCRIPTIONS } from '../scopes.js';

/** The scheme that carries each credential kind. */
const SCHEME_OF: Record<CredentialKind, string> = {
  session: 'sessionCookie',
  api_key: 'apiKey',
  oauth: 'oauth2',
  scim: 'scimToken',
};

const OIDC_SCOPE_DESCRIPTIONS: Record<(typeof OIDC_SCOPES)[number], string> = {
  openid: 'Sign in with OpenID Connect: an ID token naming the user',
  profile: 'Your name and handle, in the ID token and at userinfo',
  email: 'Your email address and whether it is verified',
  offline_access: 'A refresh token, so the app keeps access while you are away',
};

export function oauthScopes(): Record<string, string> {
  return { ...SCOPE_DESCRIPTIONS, ...OIDC_SCOPE_DESCRIPTIONS };
}

/** Session cookie, Personal Access Token, OAuth 2.1: the three credentials of the API. */
export function securitySchemes(options: { issuer: string; cookieName: string }): Record<string, unknown> {
  const { issuer } = options;
  const scopes = oauthScopes();
  return {
    sessionCookie: {
      type: 'apiKey',
      in: 'cookie',
      name: options.cookieName,
      description:
        'The session set by `POST /api/auth/sign-in/email` (HttpOnly). A session holds every scope; a cookie write from another origin is refused (403).',
    },
    apiKey: {
      type: 'apiKey',
      in: 'header',
      name: 'X-Api-Key',
      description:
        'A Personal Access Token (`ba_…`) from `POST /api/auth/api-key/create`, carrying the scopes it was created with; one pinned to an organization reaches only that organization.',
    },
    scimToken: {
      type: 'http',
      scheme: 'bearer',
      description:
        'A directory’s SCIM token (`gh_scim_…`) from `POST …/directories`, shown once: it reaches only /scim/v2, for its organization.',
    },
    oauth2: {
      type: 'oauth2',
      description: `OAuth 2.1 access tokens as \`Authorization: Bearer\`. Issuer \`${issuer}\` (discovery at \`${issuer}/.well-known/openid-configuration\`): authorization code with PKCE (S256) only, exact redirect URIs, rotating refresh tokens; client credentials for a client acting as itself. Tokens are JWTs for the resource \`${issuer.replace(/\/oauth2$/, '')}\`.`,
      flows: {
        authorizationCode: {
          authorizationUrl: `${issuer}/auth`,
          tokenUrl: `${issuer}/token`,
          refreshUrl: `${issuer}/token`,
          scopes,
        },
        clientCredentials: { tokenUrl: `${issuer}/token`, scopes: { ...SCOPE_DESCRIPTIONS } },
      },
    },
  };
}

const ALL_CREDENTIALS: readonly CredentialKind[] = ['session', 'api_key', 'oauth'];

/**
 * A route's security requirements: alternatives, one per accepted credential (and per scope, as a
 * token needs any ONE of the route's scopes). `optional` adds the anonymous alternative `{}`.
 */
export function securityOf(contract: RouteContract): Record<string, string[]>[] {
  if (contract.auth === 'none') return [];
  // The authorization server's browser endpoints read the session alone (clients authenticate to it in the form).
  if (contract.servedBy || contract.routedBy) return [{}, { sessionCookie: [] }];
  const kinds = contract.credentials ?? ALL_CREDENTIALS;
  const scopes = contract.scopes ?? [];
  const requirements: Record<string, string[]>[] = [];
  for (const kind of kinds) {
    const scheme = SCHEME_OF[kind];
    if (kind === 'session' || scopes.length === 0) requirements.push({ [scheme]: [] });
    else for (const scope of scopes) requirements.push({ [scheme]: [scope] });
  }
  if (contract.auth === 'optional') requirements.unshift({});
  return requirements;
}
