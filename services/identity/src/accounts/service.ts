import { randomInt } from 'node:crypto';
import {
  AppError,
  type AuthenticatedPrincipal,
  conflict,
  EVENT_SUBJECTS,
  newId,
  type ProvisionReply,
  type ProvisionRequest,
  RPC_SUBJECTS,
  validationError,
} from '@gatehouse/contracts';
import { queueMail, recordEvent, requestRpc } from '@gatehouse/service-kit';
import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { ApiKeySchema, presentApiKey } from '../api-keys/entities.js';
import { keysVisibleTo } from '../api-keys/service.js';
import { commit, type IdentityContext, publicLink, readEm } from '../context.js';
import { pinOf } from '../credentials/limits.js';
import { endEveryCredential } from '../credentials/recovery.js';
import { verificationMail } from '../mail/templates.js';
import { UserMembershipSchema } from '../memberships/entities.js';
import { organizationCount, upsertMembership } from '../memberships/service.js';
import { OAuthAppSchema, presentOAuthApp } from '../oauth-apps/entities.js';
import { appsVisibleTo, deleteOAuthForUser } from '../oauth-apps/service.js';
import { allGrants } from '../oauth-grants/service.js';
import { LoginEventSchema, presentSession, SessionSchema } from '../sessions/entities.js';
import { OneTimeTokenSchema } from '../verification/entities.js';
import { issueToken } from '../verification/service.js';
import { presentUser, type User, UserSchema } from './entities.js';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function checkPasswordStrength(password: string, email: string): void {
  if (normalizeEmail(password) === normalizeEmail(email)) {
    throw validationError([{ field: 'password', error: 'must not be the email address', location: 'body' }]);
  }
}

function handleBase(name: string, email: string): string {
  const fromName = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
  const fromEmail = (email.split('@')[0] ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '');
  const base = (fromName.length >= 3 ? fromName : fromEmail).slice(0, 24);
  return base.length >= 3 ? base : `user${base}`;
}

async function uniqueHandle(em: EntityManager, name: string, email: string): Promise<string> {
  const base = handleBase(name, email);
  if (!(await em.findOne(UserSchema, { handle: base }))) return base;
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = `${base}${randomInt(1000, 100000)}`;
    if (!(await em.findOne(UserSchema, { handle: candidate }))) return candidate;
  }
  return `${base}${newId().slice(-8).toLowerCase()}`;
}

export async function queueVerification(ctx: IdentityContext, em: EntityManager, user: User): Promise<void> {
  const token = await issueToken(em, user.id, 'verify_email', ctx.config.VERIFY_EMAIL_TTL_SECONDS);
  const link = publicLink(ctx, '/api/auth/verify-email', token);
  queueMail(
    em,
    verificationMail(user.email, user.fullName, link, Math.round(ctx.config.VERIFY_EMAIL_TTL_SECONDS / 3600)),
  );
}

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
}

/**
 * Creates the user, the user.registered event and the verification mail in one transaction,
 * then asks the organization service to provision the default organization right away so
 * the next call already sees it. Should that reply not come, the durable event provisions it.
 */
export async function signUp(ctx: IdentityContext, input: SignUpInput, requestId: string) {
  const email = normalizeEmail(input.email);
  const name = input.name.trim();
  checkPasswordStrength(input.password, email);
  const passwordHash = await ctx.hasher.hash(input.password);
  let user: User;
  try {
    user = await commit(ctx, async (em) => {
      if (await em.findOne(UserSchema, { email }))
        throw conflict('EMAIL_TAKEN', 'An account with this email already exists');
      const now = new Date();
      const created = em.create(UserSchema, {
        id: newId(),
        email,
        passwordHash,
        fullName: name,
        handle: await uniqueHandle(em, name, email),
        isVerified: false,
        verifiedAt: null,
        isActive: true,
        lastLoginAt: null,
        role: 'user',
        createdAt: now,
        updatedAt: now,
      });
      // Rows that point at the user are written after it (entities hold ids, not ORM relations).
      await em.flush();
      recordEvent(em, EVENT_SUBJECTS.userRegistered, { userId: created.id, email, name }, requestId);
      await queueVerification(ctx, em, created);
      return created;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw conflict('EMAIL_TAKEN', 'An account with this email already exists');
    }
    throw error;
  }
  await provisionDefaultOrganization(ctx, user, requestId);
  return presentUser(user, await organizationCount(readEm(ctx), user.id));
}

async function provisionDefaultOrganization(ctx: IdentityContext, user: User, requestId: string): Promise<void> {
  try {
    const reply = await requestRpc<ProvisionRequest, ProvisionReply>(
      ctx.deps.messaging.nc,
      ctx.deps.messaging.subject(RPC_SUBJECTS.provisionDefaultOrganization),
      { userId: user.id, email: user.email, name: user.fullName },
      3000,
    );
    if (reply.ok) await upsertMembership(readEm(ctx), reply.organizationId, user.id, 'owner');
  } catch (error) {
    ctx.deps.logger.warn(
      { err: error, userId: user.id, requestId },
      'default organization not provisioned synchronously; the event will do it',
    );
  }
}

export async function getUser(em: EntityManager, userId: string): Promise<User> {
  const user = await em.findOne(UserSchema, { id: userId });
  if (!user) throw new AppError('INVALID_OR_EXPIRED_TOKEN', 'This account no longer exists');
  return user;
}

export async function getMe(ctx: IdentityContext, userId: string) {
  const em = readEm(ctx);
  const user = await getUser(em, userId);
  return presentUser(user, await organizationCount(em, userId));
}

export async function updateMe(
  ctx: IdentityContext,
  userId: string,
  changes: { fullName?: string; handle?: string },
  requestId: string,
) {
  try {
    const user = await commit(ctx, async (em) => {
      const found = await getUser(em, userId);
      if (changes.handle && changes.handle !== found.handle) {
        if (await em.findOne(UserSchema, { handle: changes.handle }))
          throw conflict('HANDLE_TAKEN', 'This handle is taken');
        found.handle = changes.handle;
      }
      if (changes.fullName) found.fullName = changes.fullName.trim();
      found.updatedAt = new Date();
      recordEvent(
        em,
        EVENT_SUBJECTS.userUpdated,
        { userId, email: found.email, name: found.fullName, handle: found.handle, isVerified: found.isVerified },
        requestId,
      );
      return found;
    });
    return presentUser(user, await organizationCount(readEm(ctx), userId));
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict('HANDLE_TAKEN', 'This handle is taken');
    throw error;
  }
}

/** Deletes the account and every credential; each revocation and the deletion are announced. */
export async function deleteMe(ctx: IdentityContext, userId: string, requestId: string): Promise<void> {
  await commit(ctx, async (em) => {
    const user = await getUser(em, userId);
    await endEveryCredential(ctx, em, userId, { requestId });
    await em.flush();
    await em.nativeDelete(SessionSchema, { userId });
    await em.nativeDelete(OneTimeTokenSchema, { userId });
    await em.nativeDelete(LoginEventSchema, { userId });
    await em.nativeDelete(UserMembershipSchema, { userId });
    await deleteOAuthForUser(em, userId, requestId);
    recordEvent(em, EVENT_SUBJECTS.userDeleted, { userId }, requestId);
    em.remove(user);
  });
}

/**
 * Everything identity holds about the user, minus secrets and hashes (data portability), as the
 * lists show it to this credential (docs/accounts.md): a pinned credential sees only its
 * organization and the keys and apps pinned to it, keys need `api-keys:read`, an OAuth token sees
 * no keys, apps or grants. Sessions and login history belong to the account, as in their lists.
 */
export async function exportMe(ctx: IdentityContext, principal: AuthenticatedPrincipal) {
  const { userId } = principal;
  const em = readEm(ctx);
  const user = await getUser(em, userId);
  const pin = pinOf(principal);
  const managesCredentials = principal.kind !== 'oauth';
  const listsKeys = principal.kind === 'session' || (managesCredentials && principal.scopes.includes('api-keys:read'));
  const currentSessionId = principal.kind === 'session' ? principal.credentialId : null;
  const [sessions, keys, logins, memberships, oauthApps, oauthGrants] = await Promise.all([
    em.find(SessionSchema, { userId }, { orderBy: { id: 'desc' } }),
    listsKeys ? em.find(ApiKeySchema, keysVisibleTo(principal), { orderBy: { id: 'desc' } }) : [],
    em.find(LoginEventSchema, { userId }, { orderBy: { id: 'desc' }, limit: 500 }),
    em.find(UserMembershipSchema, pin ? { userId, organizationId: pin } : { userId }),
    managesCredentials ? em.find(OAuthAppSchema, appsVisibleTo(principal), { orderBy: { createdAt: 'desc' } }) : [],
    managesCredentials ? allGrants(ctx, userId) : [],
  ]);
  return {
    exportedAt: new Date().toISOString(),
    user: presentUser(user, memberships.length),
    sessions: sessions.map((session) => ({
      ...presentSession(session, currentSessionId),
      revokedAt: session.revokedAt?.toISOString() ?? null,
    })),
    apiKeys: keys.map(presentApiKey),
    loginHistory: logins.map((login) => ({
      at: login.at.toISOString(),
      ip: login.ip,
      userAgent: login.userAgent,
      success: login.success,
    })),
    organizations: memberships.map((membership) => ({
      organizationId: membership.organizationId,
      role: membership.role,
    })),
    oauthApps: oauthApps.map(presentOAuthApp),
    oauthGrants,
  };
}
