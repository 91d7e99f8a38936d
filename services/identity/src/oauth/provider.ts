import { isOAuthScope, OIDC_SCOPES, TOKEN_SCOPES } from '@gatehouse/contracts';
import { counter, isDatabaseUnavailable } from '@gatehouse/service-kit';
import Provider, { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import { apiAudience, type IdentityContext, readEm } from '../context.js';
import { postgresAdapter } from '../oauth-store/adapter.js';
import { newClientSecret, newOAuthAppId, sameClientSecret } from '../oauth-store/clients.js';
import { findUserById } from '../users/queries.js';
import { introspectAndRevokeJwts } from './jwt-introspection.js';
import { signingKeysFromPem } from './keys.js';
import { gatehouseLoginPolicy } from './login-policy.js';
import { endGatehouseSessionOnLogout } from './logout.js';
import { pageSecurityHeaders } from './page-headers.js';
import { errorPage, logoutPage, signedOutPage } from './pages.js';
import { answerUnavailable } from './unavailable.js';
import { refuseUnknownScopes } from './unknown-scopes.js';

export const OAUTH_PATH = '/oauth2';
export const INTERACTION_PATH = `${OAUTH_PATH}/interaction`;

/** What operators watch: authorizations, token grants (and their failures), revocations. */
const COUNTED_EVENTS = [
  'authorization.success',
  'authorization.error',
  'grant.success',
  'grant.error',
  'grant.revoked',
  'server_error',
] as const;

function countEvents(ctx: IdentityContext, provider: Provider): void {
  const events = counter(ctx.deps.metrics, 'identity_oauth_events_total', 'OAuth server events', ['event']);
  for (const event of COUNTED_EVENTS) {
    // oidc-provider's event typings are per-event overloads; a loop over names needs the plain form.
    (provider as unknown as { on(name: string, listener: () => void): void }).on(event, () => events.inc({ event }));
  }
}
/**
 * What an access token for this API may carry: the API scopes the app is allowed, plus the
 * OpenID ones it is allowed (openid, profile, email, offline_access), so the token and the token
 * response name every scope the user granted.
 */
function tokenScopesOf(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter(isOAuthScope);
}

/**
 * The OAuth 2.1 authorization server: oidc-provider with the OAuth 2.1 profile (code + PKCE
 * S256 only, exact redirect URIs, rotating refresh tokens whose replay revokes the grant) and
 * JWT access tokens for this API (resource indicators).
 */
export async function createOAuthProvider(ctx: IdentityContext): Promise<Provider> {
  const { config } = ctx;
  const audience = apiAudience(ctx);
  const { keys, algorithms } = await signingKeysFromPem(config.OAUTH_SIGNING_KEYS);
  const signingAlg = algorithms[0] as 'EdDSA' | 'ES256' | 'RS256';

  const configuration: Configuration = {
    adapter: postgresAdapter(ctx),
    clients: [],
    jwks: { keys: keys as NonNullable<Configuration['jwks']>['keys'] },
    cookies: {
      keys: config.OAUTH_COOKIE_KEYS.split(',').map((key) => key.trim()),
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    async findAccount(_ctx, sub) {
      const user = await findUserById(readEm(ctx), sub);
      if (!user?.isActive) return undefined;
      return {
        accountId: user.id,
        claims: async () => ({
          sub: user.id,
          name: user.fullName,
          preferred_username: user.handle,
          email: user.email,
          email_verified: user.isVerified,
        }),
      };
    },
    // `amr` (RFC 8176) rides with `openid`: how the person signed in (pwd, otp, hwk, swk, mfa, sso), from the
    // login result. oidc-provider puts a claim in the ID token only when a requested scope (or `claims`) names it.
    claims: { openid: ['sub', 'amr'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    scopes: [...OIDC_SCOPES, ...TOKEN_SCOPES],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: signingAlg,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // A client introspects only tokens issued to itself: there are no separately registered
        // resource servers (the gateway verifies tokens itself), so any other client's token,
        // even a confidential one's, is `active: false` (docs/oauth.md "Introspection").
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(koa, form) {
          koa.body = logoutPage({ form, appName: koa.oidc.client?.clientName ?? null });
        },
        async postLogoutSuccessSource(koa) {
          koa.body = signedOutPage(koa.oidc.client?.clientName ?? null);
        },
      },
      registration: {
        enabled: config.OAUTH_DYNAMIC_REGISTRATION,
        initialAccessToken: config.OAUTH_REGISTRATION_TOKEN ?? false,
        idFactory: newOAuthAppId,
        secretFactory: newClientSecret,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, resource, client) {
          if (resource !== audience) throw new errors.InvalidTarget(`unknown resource; use ${audience}`);
          return {
            scope: tokenScopesOf(client.scope).join(' '),
            audience,
            accessTokenTTL: config.OAUTH_ACCESS_TOKEN_TTL_SECONDS,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: signingAlg } },
          };
        },
      },
    },
    // The grant id lets the gateway ask whether the grant behind a token still stands.
    extraTokenClaims: (_ctx, token) => ('grantId' in token && token.grantId ? { gid: token.grantId } : undefined),
    interactions: {
      url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
      policy: gatehouseLoginPolicy(),
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: config.OAUTH_ACCESS_TOKEN_TTL_SECONDS,
      ClientCredentials: config.OAUTH_ACCESS_TOKEN_TTL_SECONDS,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 14 * 24 * 3600,
      Grant: config.OAUTH_GRANT_TTL_SECONDS,
      RefreshToken: config.OAUTH_REFRESH_TOKEN_TTL_SECONDS,
    },
    async renderError(koa: KoaContextWithOIDC, out) {
      koa.type = 'html';
      koa.set('cache-control', 'no-store');
      koa.body = errorPage(out.error_description ?? out.error ?? 'The request could not be completed');
    },
  };

  const provider = new Provider(`${audience}${OAUTH_PATH}`, configuration);
  // Only the gateway reaches identity; it sets X-Forwarded-Proto/Host to the public URL's.
  provider.proxy = true;
  // Client secrets are stored as sha256 digests; the metadata carries the digest, so compare digests.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(
    this: { clientSecret?: string },
    actual,
  ) {
    return Promise.resolve(sameClientSecret(this.clientSecret, actual));
  };
  provider.use(pageSecurityHeaders());
  provider.use(answerUnavailable(provider));
  provider.use(endGatehouseSessionOnLogout(ctx));
  provider.use(refuseUnknownScopes(provider));
  provider.use(introspectAndRevokeJwts(ctx, keys, provider.issuer));
  provider.on('server_error', (_koa, error) => {
    if (isDatabaseUnavailable(error)) ctx.deps.logger.warn({ err: error }, 'oauth: database unavailable');
    else ctx.deps.logger.error({ err: error }, 'oauth server error');
  });
  countEvents(ctx, provider);
  return provider;
}
