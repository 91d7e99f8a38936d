import { Type } from 'typebox';
import { Ulid } from '../common.js';
import { defineRoutes } from '../contract.js';
import { Email } from './schemas.js';

/**
 * Enterprise SSO sign-in: which way an address signs in, the start of an SSO sign-in, and the OIDC
 * callback. Browser flows: failures are the error envelope (403 FORBIDDEN, `meta.reason` names the
 * check: SSO_STATE_MISSING, SSO_STATE_INVALID, SSO_STATE_USED, SSO_STATE_EXPIRED, SSO_CONNECTION_DISABLED,
 * SSO_IDP_RESPONSE_INVALID, SSO_EMAIL_MISSING, SSO_ACCOUNT_NOT_LINKABLE), as at the SAML ACS.
 */

const tag = 'SSO';

/**
 * The cookie binding a started SSO sign-in to the browser. `__Host-`: the browser takes it only
 * Secure, with Path=/ and no Domain, so a sibling subdomain cannot plant its own state (login CSRF).
 * Not a credential: the gateway passes it to identity, which checks it against the stored sign-in.
 */
export const SSO_STATE_COOKIE = '__Host-gatehouse_sso';

const ReturnTo = Type.String({
  maxLength: 2048,
  description:
    'Where the browser lands once signed in: a path on this site (`/…`) or a URL on an origin of SSO_RETURN_TO_ORIGINS. Default `/`.',
});

const SsoProvider = Type.Object(
  {
    id: Ulid,
    name: Type.String(),
    type: Type.Unsafe<'saml' | 'oidc'>({ type: 'string', enum: ['saml', 'oidc'] }),
  },
  { additionalProperties: false },
);

const STATE_COOKIE =
  '__Host-gatehouse_sso: the sign-in’s random state (HttpOnly; Secure; SameSite=None, so the IdP’s POST carries it; Path=/ and no Domain, as the __Host- prefix requires; for SSO_LOGIN_TTL_SECONDS)';

export const SSO_SIGN_IN_ROUTES = defineRoutes({
  identify: {
    method: 'POST',
    path: '/api/auth/identify',
    upstream: 'identity',
    tag,
    summary: 'Find how an email address signs in: password or single sign-on',
    description:
      '`sso` only for an enabled connection serving the address’s domain, when its organization verified that domain; ' +
      'otherwise `password`, whether or not an account exists.',
    auth: 'none',
    limit: 'ssoStart',
    body: Type.Object({ email: Email, returnTo: Type.Optional(ReturnTo) }, { additionalProperties: false }),
    response: {
      status: 200,
      data: Type.Union([
        Type.Object({ method: Type.Literal('password') }, { additionalProperties: false }),
        Type.Object(
          {
            method: Type.Literal('sso'),
            ssoProvider: SsoProvider,
            ssoRedirectUrl: Type.String({ format: 'uri', description: 'GET /api/auth/sso/discover for this address' }),
          },
          { additionalProperties: false },
        ),
      ]),
    },
  },
  discoverSso: {
    method: 'GET',
    path: '/api/auth/sso/discover',
    upstream: 'identity',
    tag,
    summary: 'Start a single sign-on: redirects the browser to the organization’s identity provider',
    description:
      'OIDC: authorization code flow with PKCE (S256), state and nonce. SAML: a signed AuthnRequest (HTTP-Redirect). ' +
      'The state cookie binds the sign-in to this browser. 404 when no SSO serves the address.',
    auth: 'none',
    limit: 'ssoStart',
    query: Type.Object({ email: Email, returnTo: Type.Optional(ReturnTo) }, { additionalProperties: false }),
    response: {
      status: 302,
      headers: { location: 'The identity provider’s sign-in URL', 'set-cookie': STATE_COOKIE },
    },
    errors: ['FORBIDDEN'],
  },
  ssoOidcCallback: {
    method: 'GET',
    path: '/api/auth/sso/callback',
    upstream: 'identity',
    tag,
    summary: 'The OIDC redirect URI: the identity provider sends the browser back here',
    description:
      'The state must match this browser’s state cookie and a started, unused sign-in; `iss` (RFC 9207) must be the ' +
      'issuer when sent; the ID token must be signed by a key of the issuer’s JWKS and carry the sign-in’s nonce. ' +
      'An address the IdP does not mark `email_verified` is never verified here nor linked to an existing account. ' +
      'On success: 302 to the sign-in’s returnTo with the session cookie set.',
    auth: 'none',
    limit: 'ssoFinish',
    query: Type.Object(
      {
        code: Type.Optional(Type.String({ maxLength: 4096 })),
        state: Type.Optional(Type.String({ maxLength: 512 })),
        iss: Type.Optional(Type.String({ maxLength: 2048 })),
        error: Type.Optional(Type.String({ maxLength: 256 })),
        error_description: Type.Optional(Type.String({ maxLength: 2048 })),
      },
      { additionalProperties: true },
    ),
    response: {
      status: 302,
      headers: {
        location: 'The returnTo the sign-in started with',
        'set-cookie': 'The session cookie, and the state cookie cleared',
      },
    },
    errors: ['FORBIDDEN'],
  },
});
