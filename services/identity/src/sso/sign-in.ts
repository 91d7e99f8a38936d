import { newId } from '@gatehouse/contracts';
import { hashSecret, randomSecret } from '@gatehouse/service-kit';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { deleteMe } from '../accounts/deletion.js';
import { commit, type IdentityContext, readEm } from '../context.js';
import type { ClientInfo } from '../sessions/service.js';
import { linkOrCreateAccount, normalizeIdpEmail } from './account-linking.js';
import { type SsoConnection, type SsoLoginRequest, SsoLoginRequestSchema } from './entities.js';
import { loadLiveConnection } from './live-connection.js';
import { provisionMembership } from './membership-provision.js';
import { ssoRefused } from './refusal.js';
import { openSsoSession, type SsoSignInResult } from './sso-session.js';

export { ssoRefused } from './refusal.js';

/** What an IdP said about the person, whichever protocol said it (SAML attributes, OIDC claims). */
export interface IdpProfile {
  subject: string;
  email: string;
  emailVerified: boolean;
  name: string | null;
  /** groups etc., for the connection's role mapping. */
  attributes: Record<string, string[]>;
  /** The IdP says it asked for more than one factor (OIDC `amr`, SAML AuthnContextClassRef). */
  mfaAsserted: boolean;
}

export interface LoginRequestExtra {
  samlRequestId?: string;
  oidcCodeVerifier?: string;
  oidcNonce?: string;
}

/** The browser's secret naming its started sign-in: 256 bits, only its SHA-256 is stored. */
export function newLoginState(): string {
  return randomSecret(32);
}

/** Stores a started sign-in under a state the caller made (SAML needs its request id before the row exists). */
export async function recordLoginRequest(
  ctx: IdentityContext,
  connection: SsoConnection,
  state: string,
  returnTo: string,
  extra: LoginRequestExtra,
): Promise<SsoLoginRequest> {
  return commit(ctx, async (em) => {
    await forgetStaleRequests(em);
    return em.create(SsoLoginRequestSchema, {
      id: newId(),
      stateHash: hashSecret(state),
      connectionId: connection.id,
      samlRequestId: extra.samlRequestId ?? null,
      oidcCodeVerifier: extra.oidcCodeVerifier ?? null,
      oidcNonce: extra.oidcNonce ?? null,
      returnTo,
      expiresAt: new Date(Date.now() + ctx.config.SSO_LOGIN_TTL_SECONDS * 1000),
      usedAt: null,
    });
  });
}

/**
 * Each start clears a bounded batch of sign-ins expired over an hour ago (kept that long so a late
 * callback is told "took too long", not "not started here"): the table stays as small as the traffic.
 */
async function forgetStaleRequests(em: EntityManager): Promise<void> {
  await em.execute(
    `delete from sso_login_requests where id in
       (select id from sso_login_requests where expires_at < now() - interval '1 hour' limit 100)`,
  );
}

export async function startLoginRequest(
  ctx: IdentityContext,
  connection: SsoConnection,
  returnTo: string,
  extra: LoginRequestExtra,
): Promise<{ state: string; request: SsoLoginRequest }> {
  const state = newLoginState();
  return { state, request: await recordLoginRequest(ctx, connection, state, returnTo, extra) };
}

/**
 * The started sign-in named by the browser's state cookie, checked (unexpired, unused, this
 * connection) and marked used in the same locked transaction, so a state is spent once.
 */
export async function takeLoginRequest(
  ctx: IdentityContext,
  stateFromCookie: string,
  connectionId: string,
): Promise<SsoLoginRequest> {
  return commit(ctx, async (em) => {
    const request = await findLoginRequest(em, stateFromCookie, connectionId, LockMode.PESSIMISTIC_WRITE);
    request.usedAt = new Date();
    return request;
  });
}

/**
 * The started sign-in named by the state cookie, checked (unexpired, unused, this connection if named)
 * but not spent: the SAML ACS and the OIDC callback spend it only once the IdP's answer proved itself,
 * so junk sent with the browser's cookie cannot cancel a sign-in in progress.
 */
export async function readLoginRequest(
  ctx: IdentityContext,
  stateFromCookie: string,
  connectionId?: string,
): Promise<SsoLoginRequest> {
  return findLoginRequest(readEm(ctx), stateFromCookie, connectionId);
}

/** Marks a read sign-in used, once: of two verified responses racing for it, the second is refused. */
export async function spendLoginRequest(ctx: IdentityContext, request: SsoLoginRequest): Promise<void> {
  const spent = await readEm(ctx)
    .getConnection()
    .execute(
      `update sso_login_requests set used_at = now()
        where id = ? and used_at is null and expires_at > now() returning id`,
      [request.id],
    );
  if (spent.length === 0) throw ssoRefused('SSO_STATE_USED', 'This sign-in was already completed; start again');
}

async function findLoginRequest(
  em: EntityManager,
  stateFromCookie: string,
  connectionId: string | undefined,
  lockMode?: LockMode,
): Promise<SsoLoginRequest> {
  if (!stateFromCookie) throw ssoRefused('SSO_STATE_MISSING', 'This sign-in was not started in this browser');
  const request = await em.findOne(
    SsoLoginRequestSchema,
    { stateHash: hashSecret(stateFromCookie) },
    lockMode ? { lockMode } : {},
  );
  if (!request || (connectionId !== undefined && request.connectionId !== connectionId)) {
    throw ssoRefused('SSO_STATE_INVALID', 'This sign-in was not started in this browser');
  }
  if (request.usedAt) throw ssoRefused('SSO_STATE_USED', 'This sign-in was already completed; start again');
  if (request.expiresAt <= new Date()) throw ssoRefused('SSO_STATE_EXPIRED', 'This sign-in took too long; start again');
  return request;
}

/**
 * Links or creates the account, provisions the membership, then opens a session or, when the account
 * has a second factor the IdP did not vouch for, a challenge; returns what to answer. The connection
 * is read again at each step: a disabled or deleted one stops working at once.
 */
export async function completeSsoSignIn(
  ctx: IdentityContext,
  connection: SsoConnection,
  given: IdpProfile,
  client: ClientInfo,
  returnTo: string,
): Promise<SsoSignInResult> {
  const profile = { ...given, email: normalizeIdpEmail(given.email) };
  const live = await loadLiveConnection(ctx, connection.id);
  const { user, isNew } = await linkOrCreateAccount(ctx, live, profile, client);
  try {
    await provisionMembership(ctx, live, user, profile);
    return await openSsoSession(ctx, live, user, client, { mfaAsserted: profile.mfaAsserted, returnTo });
  } catch (error) {
    // A refused sign-in leaves nothing behind: the account it just made (and its link) goes again.
    if (isNew) await forgetFreshAccount(ctx, user.id);
    throw error;
  }
}

/**
 * Deleted as an account deletion does it, announced, so a membership organization may already have
 * provisioned goes too. Never hides the refusal it follows: a failure here is logged.
 */
async function forgetFreshAccount(ctx: IdentityContext, userId: string): Promise<void> {
  try {
    // No request id, as its user.registered had none: both come from the sign-in, not from a request.
    await deleteMe(ctx, userId, '');
  } catch (error) {
    ctx.deps.logger.error({ err: error, userId }, 'SSO: a refused sign-in’s new account could not be removed');
  }
}
