import type { CredentialKind } from './principal.js';
import type { TokenScope } from './scopes.js';

export type Upstream = 'identity' | 'organization' | 'project' | 'audit' | 'billing';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Per-endpoint rate limits the gateway applies on top of the per-IP and per-credential ones. */
export type EndpointLimit =
  | 'signIn'
  | 'signUp'
  | 'passwordReset'
  | 'verificationEmail'
  | 'apiKeyCreate'
  /** A route that checks the current password: limited per user like sign-in is per email. */
  | 'passwordCheck'
  /** Starting an SSO sign-in (identify, discover): per IP and per email, apart from the password budget. */
  | 'ssoStart'
  /** An IdP's answer coming back (OIDC callback, SAML ACS): per IP; each one costs a verification. */
  | 'ssoFinish'
  /**
   * Proving a second factor (and starting a step-up): per IP and per account — the account tag leads the
   * `challengeId` (`<tag>.<secret>`), or the signed-in user when there is no challenge in the body.
   */
  | 'mfaVerify'
  /** Mailing a sign-in link: per IP and per email, a budget of its own. */
  | 'magicLink'
  /** Starting or finishing a passwordless passkey sign-in: per IP (there is no account yet). */
  | 'passkeyStart'
  /**
   * Stripe's webhook deliveries: per IP, in place of the per-IP `/api` budget (Stripe delivers from a few
   * shared addresses, in bursts); each delivery is verified by its signature.
   */
  | 'stripeWebhook';

/**
 * One line of the gateway's route table, compiled from a route contract: the only routes that reach a service.
 * `scopes.anyOf` — the credential needs at least one of them (a session has all).
 */
export interface RoutePolicy {
  /** The contract it was compiled from (shared/contracts/src/routes). */
  operationId: string;
  method: HttpMethod;
  path: string;
  upstream: Upstream;
  auth: 'none' | 'required' | 'optional';
  scopes?: { anyOf: TokenScope[] };
  /** The path carries `:organizationId`, so a pinned PAT must match it. */
  tenant?: boolean;
  /** A tighter, per-endpoint limit (sign-in, sign-up, mail-sending and key-creation routes). */
  limit?: EndpointLimit;
  /** Only these credential kinds may call the route (default: any). */
  credentials?: CredentialKind[];
  /**
   * The route acts on the whole account (its sessions, profile, memberships), so a credential
   * pinned to one organization may not call it.
   */
  accountWide?: boolean;
  /** Another site's page posts here by design (an IdP's form to a SAML ACS): no cookie CSRF check. */
  crossSitePosts?: boolean;
}
