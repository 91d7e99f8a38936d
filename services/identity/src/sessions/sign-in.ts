import { AppError, EVENT_SUBJECTS } from '@gatehouse/contracts';
import { type Activity, activityEvent, recordActivity } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyRequest } from 'fastify';
import { commit, type IdentityContext } from '../context.js';
import { ssoRequiredError } from '../sso-policy/policy.js';
import { type User, UserSchema } from '../users/entities.js';
import { loadUserForUpdate } from '../users/queries.js';
import { type ClientInfo, type LoginRecord, loginEvent, type SessionAuth, type SignInResult } from './service.js';
import { SignInFailureQueue } from './sign-in-failures.js';
import { signInCandidate } from './sign-in-lookup.js';
import { writeSessionOpening } from './sign-in-writes.js';

/** Where a sign-in comes from, as recorded on the session and in the login history. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const agent = request.headers['user-agent'];
  return { ip: request.clientIp || null, userAgent: typeof agent === 'string' ? agent : null };
}

const INVALID = () => new AppError('INVALID_CREDENTIALS', 'Invalid email or password');

/** A proven password: the active account, and its organization count for the answer. */
export interface ProvenPassword {
  user: User;
  organizationCount: number;
}

/**
 * Proves the password of an active account and answers it; no session yet (a second factor may be
 * asked). One answer and one cost for an unknown email and a wrong password: the unknown case
 * verifies against a dummy argon2id hash, and the same one statement is read first for every address
 * (the account, the domain's SSO requirement, the owner exemption), so timing does not tell which it was.
 */
export async function provePassword(
  ctx: IdentityContext,
  input: { email: string; password: string },
  client: ClientInfo,
): Promise<ProvenPassword> {
  const candidate = await signInCandidate(ctx.deps.orm.em, input.email);
  const { user } = candidate;
  const valid = await ctx.hasher.verify(user?.passwordHash ?? null, input.password);
  // Decided after the hash check, whatever its outcome; only a proven owner gets past it (break-glass),
  // and every other address of the domain meets the same 403.
  if (candidate.ssoOrganizationId && !(user && valid && candidate.ownsSsoOrganization)) {
    if (user) recordFailureLater(ctx, user.id, client, 'sso_required');
    throw ssoRequiredError(ctx, input.email);
  }
  if (!user || !valid) {
    // Recorded after answering: a write only for existing accounts would make them slower to refuse.
    if (user) recordFailureLater(ctx, user.id, client, 'wrong_password');
    throw INVALID();
  }
  if (!user.isActive) {
    recordFailureLater(ctx, user.id, client, 'deactivated');
    throw new AppError('USER_NOT_ACTIVE', 'This account is deactivated');
  }
  const { organizationCount } = candidate;
  if (!ctx.hasher.needsRehash(user.passwordHash)) return { user, organizationCount };
  // The password is in hand only now: an old-parameter hash is replaced while it is.
  const rehash = await ctx.hasher.hash(input.password);
  const rehashed = await commit(ctx, async (em) => {
    const fresh = await loadUserForUpdate(em, user.id);
    fresh.passwordHash = rehash;
    return fresh;
  });
  return { user: rehashed, organizationCount };
}

/**
 * The one way a sign-in ends in a session (password, SSO, passkey, magic link, a completed
 * challenge), in the caller's transaction: the user row is locked and its `lastLoginAt` moved, the
 * session made, the attempt recorded. One hand-written statement (sign-in-writes.ts) unless the
 * transaction already holds the user (SSO's just-provisioned account, a challenge's or magic link's
 * loaded one): then through the unit of work, which writes that user's other changes with it.
 */
export async function openSession(
  ctx: IdentityContext,
  em: EntityManager,
  userId: string,
  client: ClientInfo,
  auth: SessionAuth,
  login: Omit<LoginRecord, 'success' | 'failureReason'>,
): Promise<SignInResult> {
  if (!em.getUnitOfWork().getById(UserSchema.meta.className, userId)) {
    const opened = await openSessionByStatement(ctx, em, userId, client, auth, login);
    // Nothing written: the account is gone or deactivated, which the path below answers as always.
    if (opened) return opened;
  }
  const user = await loadUserForUpdate(em, userId);
  // Checked again under the row lock: an account deactivated since its first factor was proven gets nothing.
  if (!user.isActive) throw new AppError('USER_NOT_ACTIVE', 'This account is deactivated');
  user.lastLoginAt = new Date();
  const { token, session } = ctx.sessions.create(em, user, client, auth);
  ctx.sessions.recordLogin(em, user.id, client, { success: true, ...login });
  recordActivity(em, EVENT_SUBJECTS.identityActivity, sessionCreated(user.id, session.id, auth));
  return { token, session, user };
}

/** The same rows as openSession's unit of work writes, in one statement; null when it wrote nothing. */
async function openSessionByStatement(
  ctx: IdentityContext,
  em: EntityManager,
  userId: string,
  client: ClientInfo,
  auth: SessionAuth,
  login: Omit<LoginRecord, 'success' | 'failureReason'>,
): Promise<SignInResult | null> {
  const now = new Date();
  const { token, session } = ctx.sessions.issue(userId, client, auth, now);
  const user = await writeSessionOpening(em, {
    userId,
    now,
    session,
    login: loginEvent(userId, client, { success: true, ...login }, now),
    event: activityEvent(EVENT_SUBJECTS.identityActivity, sessionCreated(userId, session.id, auth)),
  });
  return user && { token, session, user };
}

/** The account log's `session.created`: the request is anonymous until now, so the account is its actor. */
export function sessionCreated(userId: string, sessionId: string, auth: SessionAuth): Activity {
  return {
    action: 'session.created',
    organizationId: null,
    userId,
    actor: { type: 'user', id: userId },
    target: { type: 'session', id: sessionId },
    changes: { method: { after: auth.amr } },
  };
}

/** Why a sign-in of an existing account was refused, as the login history names it. */
export type SignInRefusal =
  | 'wrong_password'
  | 'wrong_second_factor'
  | 'passkey_counter_regression'
  | 'deactivated'
  | 'sso_required';

/** The same, as the audit log's `sign_in.failed` names it. */
const AUDIT_REASONS: Record<SignInRefusal, string> = {
  wrong_password: 'invalid_password',
  wrong_second_factor: 'invalid_second_factor',
  passkey_counter_regression: 'passkey_counter_regression',
  deactivated: 'account_not_active',
  sso_required: 'sso_required',
};

/**
 * A refused sign-in of an existing account, in the caller's transaction: its login-history row and the
 * account log's `sign_in.failed`. The caller commits it even though the answer is a refusal.
 */
export function recordRefusedSignIn(
  ctx: IdentityContext,
  em: EntityManager,
  userId: string,
  client: ClientInfo,
  reason: SignInRefusal,
  login: Omit<LoginRecord, 'success' | 'failureReason'> = {},
): void {
  ctx.sessions.recordLogin(em, userId, client, { ...login, success: false, failureReason: reason });
  recordActivity(em, EVENT_SUBJECTS.identityActivity, {
    action: 'sign_in.failed',
    organizationId: null,
    userId,
    actor: { type: 'user', id: userId },
    target: { type: 'user', id: userId },
    changes: {
      method: { after: login.method ?? 'password' },
      ...(login.secondFactor && { secondFactor: { after: login.secondFactor } }),
    },
    outcome: 'failure',
    reason: AUDIT_REASONS[reason],
  });
}

/**
 * A failed attempt, recorded after answering (its own transaction, so the refusal does not roll it back)
 * so existing accounts are not slower to refuse. It waits in the context's bounded queue, with the
 * request's event context, until written (sign-in-failures.ts).
 */
export function recordFailureLater(
  ctx: IdentityContext,
  userId: string,
  client: ClientInfo,
  reason: SignInRefusal,
  login: Omit<LoginRecord, 'success' | 'failureReason'> = {},
): void {
  signInFailures(ctx).add({ userId, client, reason, login });
}

const failureQueues = new WeakMap<IdentityContext, SignInFailureQueue>();

/** The context's queue of refused sign-ins still to write; app.ts starts it and stops it on close. */
export function signInFailures(ctx: IdentityContext): SignInFailureQueue {
  let queue = failureQueues.get(ctx);
  if (!queue) {
    queue = new SignInFailureQueue({
      write: ({ userId, client, reason, login }) =>
        commit(ctx, async (em) => recordRefusedSignIn(ctx, em, userId, client, reason, login)),
      logger: ctx.deps.logger,
      metrics: ctx.deps.metrics,
    });
    failureQueues.set(ctx, queue);
  }
  return queue;
}
