import type { ResolveCredentialReply, ResolveCredentialRequest, TokenScope } from '@gatehouse/contracts';
import { TOKEN_SCOPES } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { findLiveKeyBySecret } from '../api-keys/service.js';
import { type IdentityContext, readEm } from '../context.js';
import { resolveDirectoryToken } from '../directories/tokens.js';
import { readOnlyState } from '../entitlements/service.js';
import { isEnrolled } from '../factors/status.js';
import { blockedOrganizations } from '../mfa-policy/service.js';
import { accessTokenStatus } from '../oauth/token-status.js';
import { findSessionByToken } from '../sessions/service.js';
import { findUserById } from '../users/queries.js';

const ALL_SCOPES: TokenScope[] = [...TOKEN_SCOPES];
/** Sliding a session writes a row; doing it at most once a minute keeps resolution cheap. */
const TOUCH_AFTER_MS = 60_000;

/**
 * Answers the gateway's `identity.credentials.resolve`: a session token or a PAT becomes a
 * principal, or a reason the gateway maps to 401. Secrets arrive only here and are hashed at once.
 */
export async function resolveCredential(
  ctx: IdentityContext,
  request: ResolveCredentialRequest,
): Promise<ResolveCredentialReply> {
  if (request.kind === 'oauth') return resolveAccessToken(ctx, request);
  if (request.kind === 'scim') return resolveDirectoryToken(ctx, request.secret);
  return request.kind === 'session' ? resolveSession(ctx, request.secret) : resolveApiKey(ctx, request.secret);
}

/** The gateway has verified the JWT itself; what is asked here is whether it still stands. */
async function resolveAccessToken(
  ctx: IdentityContext,
  request: Extract<ResolveCredentialRequest, { kind: 'oauth' }>,
): Promise<ResolveCredentialReply> {
  const status = await accessTokenStatus(ctx, request);
  if (!status.live) return { ok: false, reason: status.reason };
  const em = readEm(ctx);
  const mfa = await ownerMfa(em, status.userId);
  const readOnly = await readOnlyFacts(em, status.userId, status.organizationId);
  return {
    ok: true,
    principal: {
      kind: 'oauth',
      userId: status.userId,
      credentialId: status.credentialId,
      clientId: request.clientId,
      scopes: status.scopes,
      organizationId: status.organizationId,
      role: status.role,
      ...mfa,
      ...readOnly.fields,
      ttlSeconds: cacheSeconds(ctx, status.standsUntil, readOnly.until),
    },
  };
}

/**
 * How long the gateway may keep the answer: never past the moment the credential ends by itself, nor past
 * the moment one of its organizations turns read-only (so writes stop then, not a cache lifetime later).
 */
function cacheSeconds(ctx: IdentityContext, ...endsAt: (Date | null)[]): number {
  let seconds = ctx.config.CREDENTIAL_CACHE_SECONDS;
  for (const end of endsAt) {
    if (end) seconds = Math.min(seconds, Math.floor((end.getTime() - Date.now()) / 1000));
  }
  return Math.max(seconds, 0);
}

/**
 * The organizations where the credential may only read (omitted when none), and when the next one turns
 * read-only. Leaving read-only needs no deadline: the gateway purges its cache on
 * identity.organization.read_only_changed, announced once the new deadline is stored here.
 */
async function readOnlyFacts(em: EntityManager, userId: string, pinnedTo: string | null) {
  const { readOnlyIn, nextReadOnlyAt } = await readOnlyState(em, userId, pinnedTo);
  return { fields: readOnlyIn.length > 0 ? { readOnlyIn } : {}, until: nextReadOnlyAt };
}

async function resolveSession(ctx: IdentityContext, token: string): Promise<ResolveCredentialReply> {
  const em = readEm(ctx);
  const session = await findSessionByToken(em, token);
  if (!session || !ctx.sessions.isLive(session)) return { ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' };
  const user = await findUserById(em, session.userId);
  if (!user) return { ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' };
  if (!user.isActive) return { ok: false, reason: 'USER_NOT_ACTIVE' };
  if (Date.now() - session.lastSeenAt.getTime() > TOUCH_AFTER_MS) {
    ctx.sessions.touch(session);
    await em.flush();
  }
  const mfaEnrolled = await isEnrolled(em, user.id);
  const readOnly = await readOnlyFacts(em, user.id, null);
  return {
    ok: true,
    principal: {
      kind: 'session',
      userId: user.id,
      credentialId: session.id,
      scopes: ALL_SCOPES,
      organizationId: null,
      role: user.role,
      amr: session.amr,
      secondFactorAt: session.secondFactorAt ? Math.floor(session.secondFactorAt.getTime() / 1000) : null,
      mfaEnrolled,
      // A session meets a policy only if it proved a second factor itself (enrolling later does not
      // upgrade a password-only sign-in; the enrolling session is upgraded by the enrolment itself)
      // and the account still has one: removing the last factor falls short of the policy again.
      mfaBlockedIn: await blockedOrganizations(em, user.id, mfaEnrolled && session.secondFactorAt !== null),
      ...readOnly.fields,
      ttlSeconds: cacheSeconds(ctx, readOnly.until),
    },
  };
}

async function resolveApiKey(ctx: IdentityContext, key: string): Promise<ResolveCredentialReply> {
  const em = readEm(ctx);
  const found = await findLiveKeyBySecret(em, key);
  if (!found) return { ok: false, reason: 'INVALID_API_KEY' };
  const user = await findUserById(em, found.userId);
  if (!user) return { ok: false, reason: 'INVALID_API_KEY' };
  if (!user.isActive) return { ok: false, reason: 'USER_NOT_ACTIVE' };
  ctx.lastUsed.note(found.id);
  const mfa = await ownerMfa(em, user.id);
  const readOnly = await readOnlyFacts(em, user.id, found.organizationId);
  return {
    ok: true,
    principal: {
      kind: 'api_key',
      userId: user.id,
      credentialId: found.id,
      scopes: found.scopes,
      organizationId: found.organizationId,
      role: user.role,
      ...mfa,
      ...readOnly.fields,
      ttlSeconds: cacheSeconds(ctx, found.expiresAt, readOnly.until),
    },
  };
}

/**
 * A key or an app token cannot present a factor: it meets an organization's policy when its owner
 * is enrolled (so it works again as soon as they enrol, and stops when their last factor goes).
 */
async function ownerMfa(em: EntityManager, userId: string): Promise<{ mfaEnrolled: boolean; mfaBlockedIn: string[] }> {
  const mfaEnrolled = await isEnrolled(em, userId);
  return { mfaEnrolled, mfaBlockedIn: await blockedOrganizations(em, userId, mfaEnrolled) };
}
