import { timingSafeEqual } from 'node:crypto';
import { AppError } from '@gatehouse/contracts';
import * as oidc from 'openid-client';
import type { IdentityContext } from '../context.js';
import type { SsoConnection } from './entities.js';
import { loadLiveConnection } from './live-connection.js';
import { idpDispatcher, outboundUrlProblem } from './outbound-url.js';
import { ssoRefused } from './refusal.js';
import { openSecret } from './secrets.js';
import { type IdpProfile, readLoginRequest, spendLoginRequest } from './sign-in.js';

export const OIDC_CALLBACK_PATH = '/api/auth/sso/callback';

/** The one redirect URI every OIDC connection registers at its IdP. */
export function oidcRedirectUri(ctx: IdentityContext): string {
  return new URL(OIDC_CALLBACK_PATH, ctx.config.PUBLIC_URL).toString();
}

/** A URL identity refused to fetch (outbound-url.ts): the sign-in is refused, never sent there. */
class RefusedIdpUrl extends Error {
  constructor(
    readonly url: string,
    readonly problem: string,
  ) {
    super(`IdP URL ${url} ${problem}`);
  }
}

function refusedIdpUrlIn(error: unknown): RefusedIdpUrl | null {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof RefusedIdpUrl) return cause;
  }
  return null;
}

function refusedConnection(ctx: IdentityContext, connection: SsoConnection, refused: RefusedIdpUrl): AppError {
  ctx.deps.logger.warn({ connectionId: connection.id, url: refused.url, problem: refused.problem }, 'OIDC URL refused');
  return ssoRefused('SSO_CONNECTION_DISABLED', 'This single sign-on connection is not available');
}

/**
 * Every request openid-client makes for a connection (discovery, JWKS, token) goes through here: the
 * URL is checked on where its host resolves right before the fetch (SSRF), and redirects are not
 * followed, so an allowed URL cannot bounce the request inside.
 */
function guardedFetch(allowPrivate: boolean): oidc.CustomFetch {
  const dispatcher = allowPrivate ? LENIENT_DISPATCHER : STRICT_DISPATCHER;
  return async (url, options) => {
    const problem = await outboundUrlProblem(url, allowPrivate);
    if (problem) throw new RefusedIdpUrl(url, problem);
    try {
      // The connection checks its addresses again (idpDispatcher): the name may resolve elsewhere by now.
      return await fetch(url, { ...options, redirect: 'manual', dispatcher } as RequestInit);
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code === 'EREFUSEDINTERNAL') {
        throw new RefusedIdpUrl(url, 'resolved to an internal address when connecting');
      }
      throw error;
    }
  };
}

const STRICT_DISPATCHER = idpDispatcher(false);
const LENIENT_DISPATCHER = idpDispatcher(true);

/** The endpoints the discovery document names are held to the issuer's rule too. */
async function checkEndpoints(config: oidc.Configuration, allowPrivate: boolean): Promise<void> {
  const metadata = config.serverMetadata();
  for (const url of [metadata.authorization_endpoint, metadata.token_endpoint, metadata.jwks_uri]) {
    if (url === undefined) continue;
    const problem = await outboundUrlProblem(url, allowPrivate);
    if (problem) throw new RefusedIdpUrl(url, problem);
  }
}

/**
 * The IdP's discovery document and client, read afresh for each step: a JWKS rotated at the IdP is
 * picked up at once (openid-client caches keys per configuration), and a changed connection applies
 * to the next request. Plain http only for a loopback IdP (tests, local development), and no
 * internal address unless SSO_ALLOW_PRIVATE_IDP (outbound-url.ts).
 */
async function configurationFor(ctx: IdentityContext, connection: SsoConnection): Promise<oidc.Configuration> {
  if (connection.type !== 'oidc' || !connection.oidcIssuer || !connection.oidcClientId) {
    throw ssoRefused('SSO_CONNECTION_DISABLED', 'This single sign-on connection is not available');
  }
  const allowPrivate = ctx.config.SSO_ALLOW_PRIVATE_IDP;
  const issuer = new URL(connection.oidcIssuer);
  const secret = connection.oidcClientSecret
    ? openSecret(ctx.config.SSO_SECRET_KEY, connection.oidcClientSecret)
    : undefined;
  try {
    // Non-repudiation: the ID token's signature is checked against the JWKS even though it came over TLS
    // from the token endpoint (openid-client skips that by default). http gets past the guarded fetch
    // only for a loopback host.
    const execute =
      issuer.protocol === 'http:'
        ? [oidc.enableNonRepudiationChecks, oidc.allowInsecureRequests]
        : [oidc.enableNonRepudiationChecks];
    const config = await oidc.discovery(issuer, connection.oidcClientId, secret, undefined, {
      timeout: 10,
      execute,
      [oidc.customFetch]: guardedFetch(allowPrivate),
    });
    await checkEndpoints(config, allowPrivate);
    return config;
  } catch (error) {
    const refused = refusedIdpUrlIn(error);
    if (refused) throw refusedConnection(ctx, connection, refused);
    ctx.deps.logger.warn({ err: error, connectionId: connection.id }, 'OIDC discovery failed');
    throw new AppError('SERVICE_UNAVAILABLE', 'The identity provider could not be reached', {
      reason: 'IDP_UNAVAILABLE',
    });
  }
}

/** The IdP's authorization URL for a started sign-in: code flow, PKCE S256, state and nonce. */
export async function oidcLoginUrl(
  ctx: IdentityContext,
  connection: SsoConnection,
  email: string,
  start: (extra: { oidcCodeVerifier: string; oidcNonce: string }) => Promise<{ state: string }>,
): Promise<string> {
  const config = await configurationFor(ctx, connection);
  const verifier = oidc.randomPKCECodeVerifier();
  const nonce = oidc.randomNonce();
  const { state } = await start({ oidcCodeVerifier: verifier, oidcNonce: nonce });
  return oidc
    .buildAuthorizationUrl(config, {
      redirect_uri: oidcRedirectUri(ctx),
      scope: 'openid email profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      login_hint: email,
    })
    .toString();
}

function sameState(fromCookie: string, fromQuery: string): boolean {
  const a = Buffer.from(fromCookie);
  const b = Buffer.from(fromQuery);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A callback that proved itself: its sign-in is spent, the person is who the IdP's ID token says. */
export interface AcceptedOidcCallback {
  connection: SsoConnection;
  profile: IdpProfile;
  returnTo: string;
}

/**
 * The IdP came back. The browser's cookie must name a started, unused sign-in and equal the `state` the
 * IdP returned (a callback URL sent to someone else's browser fails). openid-client then checks `iss`
 * (RFC 9207), redeems the code with the PKCE verifier, and verifies the ID token: signature by the IdP's
 * JWKS, issuer, audience, expiry, and the nonce bound to this sign-in. Only then is the sign-in spent:
 * any page can send the browser to the callback URL, and such a visit must not cancel a sign-in.
 */
export async function acceptOidcCallback(
  ctx: IdentityContext,
  query: Record<string, string | undefined>,
  stateFromCookie: string | undefined,
): Promise<AcceptedOidcCallback> {
  if (!stateFromCookie) throw ssoRefused('SSO_STATE_MISSING', 'This sign-in was not started in this browser');
  if (!query.state || !sameState(stateFromCookie, query.state)) {
    throw ssoRefused('SSO_STATE_INVALID', 'This sign-in was not started in this browser');
  }
  const request = await readLoginRequest(ctx, stateFromCookie);
  const connection = await loadLiveConnection(ctx, request.connectionId);
  const config = await configurationFor(ctx, connection);
  const profile = await redeem(ctx, config, connection, query, { ...request, state: stateFromCookie });
  await spendLoginRequest(ctx, request);
  return { connection, profile, returnTo: request.returnTo };
}

async function redeem(
  ctx: IdentityContext,
  config: oidc.Configuration,
  connection: SsoConnection,
  query: Record<string, string | undefined>,
  expected: { state: string; oidcCodeVerifier: string | null; oidcNonce: string | null },
): Promise<IdpProfile> {
  const currentUrl = new URL(oidcRedirectUri(ctx));
  for (const [name, value] of Object.entries(query)) if (value !== undefined) currentUrl.searchParams.set(name, value);
  let claims: oidc.IDToken | undefined;
  try {
    const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: expected.oidcCodeVerifier ?? undefined,
      expectedState: expected.state,
      expectedNonce: expected.oidcNonce ?? undefined,
      idTokenExpected: true,
    });
    claims = tokens.claims();
  } catch (error) {
    const refused = refusedIdpUrlIn(error);
    if (refused) throw refusedConnection(ctx, connection, refused);
    ctx.deps.logger.warn({ err: error, connectionId: connection.id }, 'OIDC callback refused');
    throw ssoRefused('SSO_IDP_RESPONSE_INVALID', 'The identity provider’s answer could not be verified');
  }
  if (!claims) throw ssoRefused('SSO_IDP_RESPONSE_INVALID', 'The identity provider sent no ID token');
  return profileFromClaims(claims);
}

/** RFC 8176 methods proving something held or something one is: a code, a key, a phone, a biometric. */
const POSSESSION_OR_INHERENCE: ReadonlySet<string> = new Set([
  'otp',
  'hwk',
  'swk',
  'sc',
  'sms',
  'tel',
  'fpt',
  'face',
  'iris',
  'retina',
  'vbm',
]);
/** RFC 8176 methods proving something known. */
const KNOWLEDGE: ReadonlySet<string> = new Set(['pwd', 'pin', 'kba']);

/**
 * The ID token's `amr` (an array of strings; anything else says nothing) says more than one factor was
 * proven: `mfa` itself, or two distinct methods of which one is held or inherent (`pwd` + `otp`). A lone
 * method (a passwordless SMS code, a hardware key) is one factor, and the account's own is still asked.
 */
export function amrAssertsMfa(amr: unknown): boolean {
  if (!Array.isArray(amr)) return false;
  const methods = new Set(amr.filter((method): method is string => typeof method === 'string'));
  if (methods.has('mfa')) return true;
  const factors = [...methods].filter((method) => POSSESSION_OR_INHERENCE.has(method) || KNOWLEDGE.has(method));
  return factors.length >= 2 && factors.some((method) => POSSESSION_OR_INHERENCE.has(method));
}

/** The person as the ID token describes them; `email_verified` counts only when literally true. */
export function profileFromClaims(claims: oidc.IDToken): IdpProfile {
  if (typeof claims.email !== 'string' || !claims.email.includes('@')) {
    throw ssoRefused('SSO_EMAIL_MISSING', 'The identity provider did not send an email address');
  }
  const attributes: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (typeof value === 'string') attributes[name] = [value];
    else if (Array.isArray(value)) attributes[name] = value.filter((item): item is string => typeof item === 'string');
  }
  return {
    subject: claims.sub,
    email: claims.email,
    emailVerified: claims.email_verified === true,
    name: typeof claims.name === 'string' ? claims.name : null,
    attributes,
    mfaAsserted: amrAssertsMfa(claims.amr),
  };
}
