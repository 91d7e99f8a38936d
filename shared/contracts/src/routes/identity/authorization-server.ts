import { Type } from 'typebox';
import { defineRoutes, type RouteErrorResponse } from '../contract.js';
import {
  AuthorizationServerMetadata,
  ClientInformation,
  ClientMetadataRequest,
  IntrospectionResponse,
  JwksResponse,
  OAuthError,
  TokenResponse,
} from './oauth-answers.js';

/**
 * The OAuth 2.1 / OpenID Connect authorization server: oidc-provider inside identity, issuer
 * `<PUBLIC_URL>/oauth2`, proxied by the gateway by prefix (`/oauth2/*` and the RFC 8414 path),
 * never through its route table. Endpoints take form posts and answer OAuth's own JSON, not the
 * envelope. Clients authenticate to oidc-provider itself: a confidential one with HTTP Basic
 * (`client_secret_basic`) or `client_id` + `client_secret` in the form, a public one with its
 * `client_id` alone.
 */

const FORM = 'application/x-www-form-urlencoded';
const HTML = 'text/html; charset=utf-8';
const tag = 'Authorization server';
const provider = { upstream: 'identity', tag, servedBy: 'oidc-provider' } as const;

const text = (description: string) => Type.String({ description });

const oauthErrors = (statuses: readonly number[]): RouteErrorResponse => ({
  statuses,
  contentType: 'application/json',
  body: OAuthError,
  description: '401 when client authentication fails (with WWW-Authenticate), 503 while the database is unreachable.',
});

/** A browser endpoint fails with a Gatehouse error page, never a redirect to an unverified URI. */
const pageErrors = (statuses: readonly number[]): RouteErrorResponse => ({
  statuses,
  contentType: HTML,
  description: 'An error page for the person at the browser.',
});

/** Client authentication in the form, for clients that do not use HTTP Basic. */
const clientAuthFields = {
  client_id: Type.Optional(text('Required unless the client authenticates with HTTP Basic')),
  client_secret: Type.Optional(text('client_secret_post; prefer HTTP Basic')),
};

/** The authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636; OpenID Connect; RFC 8707 resource). */
const authorizationRequestFields = {
  response_type: Type.Literal('code'),
  client_id: Type.String(),
  redirect_uri: text('Exactly one of the app’s registered redirect URIs'),
  scope: text('Space-separated: API scopes the app is allowed, plus openid, profile, email, offline_access'),
  state: Type.Optional(text('Opaque; returned unchanged on the redirect. Check it.')),
  code_challenge: text('BASE64URL(SHA-256(code_verifier)); required for every client'),
  code_challenge_method: Type.Literal('S256'),
  prompt: Type.Optional(text('consent (needed for offline_access), login, none')),
  nonce: Type.Optional(Type.String()),
  max_age: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
  login_hint: Type.Optional(Type.String()),
  resource: Type.Optional(text('The API’s public URL (the default, and the only resource)')),
  response_mode: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['query', 'form_post'] })),
};

const AuthorizationQuery = Type.Union([
  Type.Object(authorizationRequestFields, { additionalProperties: true }),
  Type.Object(
    { client_id: Type.String(), request_uri: text('From the pushed authorization request endpoint') },
    { additionalProperties: true },
  ),
]);

const InteractionParams = Type.Object({ uid: Type.String({ pattern: '^[A-Za-z0-9_-]{10,64}$' }) });

const BEARER = Type.Object({ authorization: Type.Optional(Type.String({ pattern: '^Bearer ' })) });

const NO_STORE = { 'cache-control': 'no-store' } as const;

export const AUTHORIZATION_SERVER_ENDPOINTS = defineRoutes({
  authorize: {
    ...provider,
    method: 'GET',
    path: '/oauth2/auth',
    summary: 'Start an authorization (code flow with PKCE)',
    description:
      'Redirects the browser to the login or consent page, then back to `redirect_uri` with `code`, `state` and `iss` (or `error`, e.g. access_denied, invalid_scope). An unregistered redirect URI gets an error page, never a redirect.',
    // Optional: a browser signed in to Gatehouse skips the login form.
    auth: 'optional',
    query: AuthorizationQuery,
    response: { status: 303, headers: { location: 'The login or consent page, or the redirect URI with the result' } },
    // 503: identity's database is away; a person gets a page saying so.
    errorResponse: pageErrors([400, 503]),
  },
  resumeAuthorization: {
    ...provider,
    method: 'GET',
    path: '/oauth2/auth/:uid',
    summary: 'Continue an authorization after the login or consent page',
    description: 'Reached by the redirect the interaction pages answer, not called by clients.',
    auth: 'optional',
    params: Type.Object({ uid: Type.String() }),
    response: { status: 303, headers: { location: 'The next page, or the redirect URI with the result' } },
    errorResponse: pageErrors([400, 503]),
  },
  pushAuthorizationRequest: {
    ...provider,
    method: 'POST',
    path: '/oauth2/request',
    summary: 'Push an authorization request (RFC 9126)',
    description: 'Send the authorization parameters here first, then `/oauth2/auth?client_id=…&request_uri=…`.',
    auth: 'none',
    bodyContentType: FORM,
    body: Type.Object({ ...authorizationRequestFields, ...clientAuthFields }, { additionalProperties: true }),
    response: {
      status: 201,
      contentType: 'application/json',
      body: Type.Object({ request_uri: Type.String(), expires_in: Type.Integer() }, { additionalProperties: false }),
    },
    errorResponse: oauthErrors([400, 401, 503]),
  },
  token: {
    ...provider,
    method: 'POST',
    path: '/oauth2/token',
    summary: 'Exchange a code, a refresh token or client credentials for tokens',
    description:
      '`authorization_code` (with `code`, `redirect_uri`, `code_verifier`), `refresh_token` (a new refresh token comes back: keep it, the old one is used up) or `client_credentials` (a confidential app owned by a user; its tokens act for the owner with at most the app’s allowed scopes).',
    auth: 'none',
    bodyContentType: FORM,
    body: Type.Object(
      {
        grant_type: Type.Unsafe<string>({
          type: 'string',
          enum: ['authorization_code', 'refresh_token', 'client_credentials'],
        }),
        code: Type.Optional(Type.String()),
        redirect_uri: Type.Optional(Type.String()),
        code_verifier: Type.Optional(Type.String()),
        refresh_token: Type.Optional(Type.String()),
        scope: Type.Optional(Type.String()),
        resource: Type.Optional(Type.String()),
        ...clientAuthFields,
      },
      { additionalProperties: true },
    ),
    response: { status: 200, contentType: 'application/json', body: TokenResponse, headers: NO_STORE },
    errorResponse: oauthErrors([400, 401, 503]),
  },
  introspectToken: {
    ...provider,
    method: 'POST',
    path: '/oauth2/token/introspection',
    summary: 'Introspect a token issued to this client (RFC 7662)',
    description:
      'Access and refresh tokens alike; another client’s token answers `{"active": false}`, as an unknown one does. Reflects revocations and the scopes as the gateway narrows them.',
    auth: 'none',
    bodyContentType: FORM,
    body: Type.Object(
      {
        token: Type.String(),
        token_type_hint: Type.Optional(
          Type.Unsafe<string>({ type: 'string', enum: ['access_token', 'refresh_token'] }),
        ),
        ...clientAuthFields,
      },
      { additionalProperties: true },
    ),
    response: { status: 200, contentType: 'application/json', body: IntrospectionResponse, headers: NO_STORE },
    errorResponse: oauthErrors([400, 401, 503]),
  },
  revokeToken: {
    ...provider,
    method: 'POST',
    path: '/oauth2/token/revocation',
    summary: 'Revoke a token issued to this client (RFC 7009)',
    description:
      'A refresh token ends its grant (every token of it); an access token ends itself. An unknown or invalid token is not an error. Gateways refuse revoked tokens within seconds.',
    auth: 'none',
    bodyContentType: FORM,
    body: Type.Object(
      {
        token: Type.String(),
        token_type_hint: Type.Optional(
          Type.Unsafe<string>({ type: 'string', enum: ['access_token', 'refresh_token'] }),
        ),
        ...clientAuthFields,
      },
      { additionalProperties: true },
    ),
    response: { status: 200 },
    errorResponse: oauthErrors([400, 401, 503]),
  },
  jwks: {
    ...provider,
    method: 'GET',
    path: '/oauth2/jwks',
    summary: 'The public keys access and ID tokens are signed with',
    description: 'Verifying tokens yourself learns of revocations only at expiry; introspection reflects them.',
    auth: 'none',
    response: { status: 200, contentType: 'application/jwk-set+json', body: JwksResponse },
  },
  openidConfiguration: {
    ...provider,
    method: 'GET',
    path: '/oauth2/.well-known/openid-configuration',
    summary: 'OpenID Connect discovery',
    auth: 'none',
    response: { status: 200, contentType: 'application/json', body: AuthorizationServerMetadata },
  },
  oauthAuthorizationServerMetadataAtIssuer: {
    ...provider,
    method: 'GET',
    path: '/oauth2/.well-known/oauth-authorization-server',
    summary: 'Authorization server metadata, under the issuer',
    auth: 'none',
    response: { status: 200, contentType: 'application/json', body: AuthorizationServerMetadata },
  },
  oauthAuthorizationServerMetadata: {
    ...provider,
    method: 'GET',
    path: '/.well-known/oauth-authorization-server/oauth2',
    summary: 'Authorization server metadata (RFC 8414)',
    description: 'Where RFC 8414 puts the metadata of issuer `<PUBLIC_URL>/oauth2`; the same document as discovery.',
    auth: 'none',
    response: { status: 200, contentType: 'application/json', body: AuthorizationServerMetadata },
  },
  userinfo: {
    ...provider,
    method: 'GET',
    path: '/oauth2/me',
    summary: 'OpenID Connect userinfo',
    description:
      'The claims the user granted: `sub`; `name`, `preferred_username` with profile; `email`, `email_verified` with email.',
    auth: 'none',
    headers: BEARER,
    response: {
      status: 200,
      contentType: 'application/json',
      body: Type.Object(
        {
          sub: Type.String(),
          name: Type.Optional(Type.String()),
          preferred_username: Type.Optional(Type.String()),
          email: Type.Optional(Type.String()),
          email_verified: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: true },
      ),
    },
    errorResponse: oauthErrors([400, 401, 403, 503]),
  },
  userinfoByPost: {
    ...provider,
    method: 'POST',
    path: '/oauth2/me',
    summary: 'OpenID Connect userinfo, by POST',
    auth: 'none',
    headers: BEARER,
    bodyContentType: FORM,
    response: {
      status: 200,
      contentType: 'application/json',
      body: Type.Object({ sub: Type.String() }, { additionalProperties: true }),
    },
    errorResponse: oauthErrors([400, 401, 403, 503]),
  },
  endSession: {
    ...provider,
    method: 'GET',
    path: '/oauth2/session/end',
    summary: 'Sign out (RP-initiated logout)',
    description: 'A page asking the person to confirm; signing out there also ends the browser’s Gatehouse session.',
    auth: 'optional',
    query: Type.Object(
      {
        id_token_hint: Type.Optional(Type.String()),
        post_logout_redirect_uri: Type.Optional(Type.String()),
        state: Type.Optional(Type.String()),
        client_id: Type.Optional(Type.String()),
        logout_hint: Type.Optional(Type.String()),
        ui_locales: Type.Optional(Type.String()),
      },
      { additionalProperties: true },
    ),
    response: { status: 200, contentType: HTML },
    errorResponse: pageErrors([400]),
  },
  confirmEndSession: {
    ...provider,
    method: 'POST',
    path: '/oauth2/session/end/confirm',
    summary: 'Confirm the sign-out (the logout page’s form)',
    auth: 'optional',
    bodyContentType: FORM,
    body: Type.Object(
      { xsrf: Type.String(), logout: Type.Optional(text('Present ("yes") to sign out; absent to stay signed in')) },
      { additionalProperties: true },
    ),
    response: { status: 303, headers: { location: 'post_logout_redirect_uri, or the signed-out page' } },
    errorResponse: pageErrors([400]),
  },
  endSessionSuccess: {
    ...provider,
    method: 'GET',
    path: '/oauth2/session/end/success',
    summary: 'The signed-out page',
    auth: 'optional',
    query: Type.Object({ client_id: Type.Optional(Type.String()) }, { additionalProperties: true }),
    response: { status: 200, contentType: HTML },
  },
  registerClient: {
    ...provider,
    method: 'POST',
    path: '/oauth2/reg',
    summary: 'Register a client (RFC 7591)',
    description:
      'Only when OAUTH_DYNAMIC_REGISTRATION=true (404 otherwise); with OAUTH_REGISTRATION_TOKEN set, send it as `Authorization: Bearer`. Registered apps have no owner and no client-credentials grant; the secret is shown once, in this answer.',
    auth: 'none',
    headers: BEARER,
    body: ClientMetadataRequest,
    response: { status: 201, contentType: 'application/json', body: ClientInformation, headers: NO_STORE },
    errorResponse: oauthErrors([400, 401, 503]),
  },
  readClientRegistration: {
    ...provider,
    method: 'GET',
    path: '/oauth2/reg/:clientId',
    summary: 'Read a registered client (RFC 7592)',
    description: 'With the `registration_access_token` of the registration answer as `Authorization: Bearer`.',
    auth: 'none',
    headers: BEARER,
    params: Type.Object({ clientId: Type.String() }),
    response: { status: 200, contentType: 'application/json', body: ClientInformation, headers: NO_STORE },
    errorResponse: oauthErrors([400, 401, 503]),
  },

  // The login and consent pages: fastify routes in identity (they need its sign-in and its HTML),
  // reached through the gateway's authorization-server prefix. Forms only: the gateway refuses
  // any other body with 415, and checks the request is not cross-site.
  showInteraction: {
    upstream: 'identity',
    tag,
    routedBy: 'authorization-server',
    method: 'GET',
    path: '/oauth2/interaction/:uid',
    summary: 'The login or consent page of an authorization',
    description:
      'A browser already signed in to Gatehouse skips the login form (303), unless the app asked for a fresh login.',
    auth: 'optional',
    params: InteractionParams,
    response: { status: 200, contentType: HTML },
    otherResponses: [{ status: 303, headers: { location: 'The authorization, resumed' } }],
    errorResponse: pageErrors([400, 503]),
  },
  submitLogin: {
    upstream: 'identity',
    tag,
    routedBy: 'authorization-server',
    method: 'POST',
    path: '/oauth2/interaction/:uid/login',
    summary: 'Sign in from the login page',
    description:
      'The same sign-in as POST /api/auth/sign-in/email, limited per IP and per email alike; it also signs the browser in to Gatehouse. A wrong password or a missing field shows the page again with a message.',
    auth: 'optional',
    limit: 'signIn',
    params: InteractionParams,
    bodyContentType: FORM,
    body: Type.Object(
      {
        email: Type.String({ minLength: 3, maxLength: 254 }),
        password: Type.String({ minLength: 1, maxLength: 1024 }),
      },
      { additionalProperties: false },
    ),
    response: { status: 303, headers: { location: 'The authorization, resumed', 'set-cookie': 'The session cookie' } },
    errorResponse: pageErrors([400, 401, 503]),
  },
  submitMfa: {
    upstream: 'identity',
    tag,
    routedBy: 'authorization-server',
    method: 'POST',
    path: '/oauth2/interaction/:uid/mfa',
    summary: 'Prove the second factor from the login page',
    description:
      'The step after the password when the account has a second factor: an authenticator code, a recovery code, or a passkey assertion (`credential`, the JSON the page script puts there). Limited per IP and per account like `POST /api/auth/mfa/verify`; a wrong code shows the page again with the attempts left.',
    auth: 'optional',
    limit: 'mfaVerify',
    params: InteractionParams,
    bodyContentType: FORM,
    body: Type.Object(
      {
        challengeId: Type.String({ minLength: 1, maxLength: 200 }),
        type: Type.Union([Type.Literal('totp'), Type.Literal('recovery_code'), Type.Literal('passkey')]),
        code: Type.Optional(Type.String({ maxLength: 64 })),
        credential: Type.Optional(Type.String({ maxLength: 16_384 })),
      },
      { additionalProperties: false },
    ),
    response: { status: 303, headers: { location: 'The authorization, resumed', 'set-cookie': 'The session cookie' } },
    errorResponse: pageErrors([400, 401, 503]),
  },
  confirmConsent: {
    upstream: 'identity',
    tag,
    routedBy: 'authorization-server',
    method: 'POST',
    path: '/oauth2/interaction/:uid/confirm',
    summary: 'Allow the app the scopes on the consent page',
    auth: 'optional',
    params: InteractionParams,
    bodyContentType: FORM,
    response: { status: 303, headers: { location: 'The authorization, resumed' } },
    errorResponse: pageErrors([400, 503]),
  },
  abortInteraction: {
    upstream: 'identity',
    tag,
    routedBy: 'authorization-server',
    method: 'POST',
    path: '/oauth2/interaction/:uid/abort',
    summary: 'Deny the app (the consent page’s Deny)',
    description: 'The app gets `error=access_denied` on its redirect URI.',
    auth: 'optional',
    params: InteractionParams,
    bodyContentType: FORM,
    response: { status: 303, headers: { location: 'The redirect URI with error=access_denied' } },
    errorResponse: pageErrors([400, 503]),
  },
});
