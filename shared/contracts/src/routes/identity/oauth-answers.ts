import { Type } from 'typebox';

/** What the authorization server answers: OAuth's own JSON (RFC 6749, 7662, 7517, 8414, 7591), not the envelope. */

const text = (description: string) => Type.String({ description });

/** RFC 6749 §5.2 (and RFC 6750 §3 at userinfo): how every JSON endpoint fails. */
export const OAuthError = Type.Object(
  {
    error: text(
      'invalid_request, invalid_client, invalid_grant, invalid_scope, invalid_target, unauthorized_client, unsupported_grant_type, invalid_token, server_error, temporarily_unavailable, …',
    ),
    error_description: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** RFC 6749 §5.1 plus the ID token of OpenID Connect. */
export const TokenResponse = Type.Object(
  {
    access_token: text('A JWT (typ at+jwt) for this API: send it as Authorization: Bearer'),
    token_type: Type.Unsafe<string>({ type: 'string', enum: ['Bearer', 'DPoP'] }),
    expires_in: Type.Integer({ minimum: 1 }),
    scope: Type.Optional(text('The scopes granted, space-separated')),
    refresh_token: Type.Optional(text('With offline_access; rotates on every use, and a replayed one ends the grant')),
    id_token: Type.Optional(text('With openid')),
  },
  { additionalProperties: false },
);

/** RFC 7662 §2.2: `{active: false}` alone for a token that is unknown, dead or another client’s. */
export const IntrospectionResponse = Type.Object(
  {
    active: Type.Boolean(),
    token_type: Type.Optional(Type.String()),
    scope: Type.Optional(Type.String()),
    client_id: Type.Optional(Type.String()),
    sub: Type.Optional(Type.String()),
    exp: Type.Optional(Type.Integer()),
    iat: Type.Optional(Type.Integer()),
    iss: Type.Optional(Type.String()),
    aud: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    jti: Type.Optional(Type.String()),
    sid: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** RFC 7517 §5: the public signing keys, the first signs. */
export const JwksResponse = Type.Object(
  {
    keys: Type.Array(
      Type.Object(
        {
          kty: Type.String(),
          kid: Type.String(),
          alg: Type.Optional(Type.String()),
          use: Type.Optional(Type.String()),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: false },
);

/** RFC 8414 / OpenID Connect Discovery 1.0; oidc-provider adds more members than these. */
export const AuthorizationServerMetadata = Type.Object(
  {
    issuer: Type.String(),
    authorization_endpoint: Type.String(),
    token_endpoint: Type.String(),
    jwks_uri: Type.String(),
    response_types_supported: Type.Array(Type.String()),
    grant_types_supported: Type.Array(Type.String()),
    code_challenge_methods_supported: Type.Array(Type.String()),
    scopes_supported: Type.Array(Type.String()),
    token_endpoint_auth_methods_supported: Type.Array(Type.String()),
    introspection_endpoint: Type.String(),
    revocation_endpoint: Type.String(),
    userinfo_endpoint: Type.String(),
    end_session_endpoint: Type.String(),
    pushed_authorization_request_endpoint: Type.String(),
    registration_endpoint: Type.Optional(text('Only with OAUTH_DYNAMIC_REGISTRATION=true')),
  },
  { additionalProperties: true },
);

/** RFC 7591 §2 client metadata, as a registering client sends it. */
export const ClientMetadataRequest = Type.Object(
  {
    redirect_uris: Type.Array(Type.String(), { minItems: 1 }),
    client_name: Type.Optional(Type.String()),
    token_endpoint_auth_method: Type.Optional(
      Type.Unsafe<string>({ type: 'string', enum: ['none', 'client_secret_basic', 'client_secret_post'] }),
    ),
    grant_types: Type.Optional(Type.Array(Type.String())),
    response_types: Type.Optional(Type.Array(Type.String())),
    scope: Type.Optional(text('Space-separated; without it the app is allowed every scope')),
    application_type: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['web', 'native'] })),
  },
  { additionalProperties: true },
);

/** RFC 7591 §3.2.1: the registered metadata with its credentials (the secret shown only here). */
export const ClientInformation = Type.Object(
  {
    client_id: Type.String(),
    client_secret: Type.Optional(Type.String()),
    client_id_issued_at: Type.Optional(Type.Integer()),
    client_secret_expires_at: Type.Optional(Type.Integer()),
    registration_access_token: Type.Optional(Type.String()),
    registration_client_uri: Type.Optional(Type.String()),
    redirect_uris: Type.Array(Type.String()),
  },
  { additionalProperties: true },
);
