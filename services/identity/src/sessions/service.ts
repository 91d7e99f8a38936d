import type { Amr } from '@gatehouse/contracts';
import { newId, notFound, USER_AGENT_MAX_LENGTH } from '@gatehouse/contracts';
import { findPage, hashSecret, type PageRequest, randomSecret, sameDigest } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { commit, type IdentityContext } from '../context.js';
import { announceRevocation } from '../credentials/revocation.js';
import type { User } from '../users/entities.js';
import { type LoginEvent, LoginEventSchema, presentSession, type Session, SessionSchema } from './entities.js';

export interface SessionPolicy {
  idleSeconds: number;
  maxAgeSeconds: number;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

/** How a session was signed in to: recorded on it (`amr`) and used by step-up (`secondFactorAt`). */
export interface SessionAuth {
  amr: Amr[];
  secondFactorAt?: Date | null;
  /** The SSO connection it came through. */
  ssoConnectionId?: string | null;
}

/** One row of the login history. */
export interface LoginRecord {
  success: boolean;
  method?: LoginEvent['method'];
  failureReason?: string | null;
  secondFactor?: LoginEvent['secondFactor'];
}

export interface SignInResult {
  token: string;
  session: Session;
  user: User;
}

export class SessionService {
  constructor(private readonly policy: SessionPolicy) {}

  /** Issues a 256-bit session token; only its hash is persisted. */
  create(em: EntityManager, user: User, client: ClientInfo, auth: SessionAuth): { token: string; session: Session } {
    const { token, session } = this.issue(user.id, client, auth);
    return { token, session: em.create(SessionSchema, session) };
  }

  /**
   * A new session and its 256-bit token, not yet written anywhere: the session holds only the token's
   * hash. `create` adds it to a unit of work; a sign-in's own statement inserts it (sign-in-writes.ts).
   */
  issue(userId: string, client: ClientInfo, auth: SessionAuth, now = new Date()): { token: string; session: Session } {
    const token = randomSecret(32);
    const session: Session = {
      id: newId(),
      userId,
      tokenHash: hashSecret(token),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.policy.idleSeconds * 1000),
      absoluteExpiresAt: new Date(now.getTime() + this.policy.maxAgeSeconds * 1000),
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
      revokedAt: null,
      ssoConnectionId: auth.ssoConnectionId ?? null,
      amr: auth.amr,
      secondFactorAt: auth.secondFactorAt ?? null,
    };
    return { token, session };
  }

  isLive(session: Session, now = new Date()): boolean {
    return session.revokedAt === null && session.expiresAt > now && session.absoluteExpiresAt > now;
  }

  /** Slides the idle expiry forward (never past the absolute cap). */
  touch(session: Session, now = new Date()): void {
    session.lastSeenAt = now;
    const slid = now.getTime() + this.policy.idleSeconds * 1000;
    session.expiresAt = new Date(Math.min(slid, session.absoluteExpiresAt.getTime()));
  }

  /** Revokes and announces it, so every gateway drops its cached principal at once. */
  revoke(em: EntityManager, session: Session, requestId?: string): void {
    if (session.revokedAt) return;
    session.revokedAt = new Date();
    announceRevocation(em, { kind: 'session', id: session.id, userId: session.userId }, requestId);
  }

  async revokeAllForUser(em: EntityManager, userId: string, options: { except?: string; requestId?: string } = {}) {
    const live = await em.find(SessionSchema, { userId, revokedAt: null });
    for (const session of live) {
      if (session.id !== options.except) this.revoke(em, session, options.requestId);
    }
  }

  recordLogin(em: EntityManager, userId: string, client: ClientInfo, record: LoginRecord) {
    em.create(LoginEventSchema, loginEvent(userId, client, record));
  }
}

/** One row of the login history, not yet written (`recordLogin` adds it to a unit of work). */
export function loginEvent(userId: string, client: ClientInfo, record: LoginRecord, at = new Date()): LoginEvent {
  return {
    id: newId(),
    userId,
    at,
    ip: client.ip,
    userAgent: client.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
    method: record.method ?? 'password',
    secondFactor: record.secondFactor ?? null,
    success: record.success,
    failureReason: record.failureReason ?? null,
  };
}

/** Signing out: the session is revoked and announced (gateways drop it at once). */
export async function signOut(ctx: IdentityContext, sessionId: string, requestId?: string): Promise<void> {
  await commit(ctx, async (em) => {
    const session = await em.findOne(SessionSchema, { id: sessionId });
    if (session) ctx.sessions.revoke(em, session, requestId);
  });
}

/** Ends one of the user's own sessions (not found when it is someone else's or already ended). */
export async function revokeUserSession(
  ctx: IdentityContext,
  userId: string,
  sessionId: string,
  requestId: string,
): Promise<void> {
  await commit(ctx, async (em) => {
    const session = await em.findOne(SessionSchema, { id: sessionId, userId });
    if (!session || session.revokedAt) throw notFound('Session not found');
    ctx.sessions.revoke(em, session, requestId);
  });
}

/** The sessions still in force, a page at a time (most recently used first unless sorted otherwise). */
export async function liveSessionsPage(
  em: EntityManager,
  userId: string,
  currentSessionId: string | null,
  query: PageRequest,
) {
  const now = new Date();
  const page = await findPage(
    em,
    SessionSchema,
    { userId, revokedAt: null, expiresAt: { $gt: now }, absoluteExpiresAt: { $gt: now } },
    query,
    { sortable: { lastSeenAt: 'date', createdAt: 'date' }, defaultSort: '-lastSeenAt' },
  );
  return { items: page.items.map((session) => presentSession(session, currentSessionId)), meta: page.meta };
}

/** The session a cookie value names, whatever its state (the caller checks it is live). */
export async function findSessionByToken(em: EntityManager, token: string): Promise<Session | null> {
  const digest = hashSecret(token);
  const session = await em.findOne(SessionSchema, { tokenHash: digest });
  return session && sameDigest(session.tokenHash, digest) ? session : null;
}

/** Sign-in attempts, a page at a time (newest first unless sorted by `at`). */
export async function loginHistoryPage(em: EntityManager, userId: string, query: PageRequest) {
  const page = await findPage(em, LoginEventSchema, { userId }, query, {
    sortable: { at: 'date' },
    defaultSort: '-at',
  });
  const items = page.items.map((event) => ({
    id: event.id,
    at: event.at.toISOString(),
    ip: event.ip,
    userAgent: event.userAgent,
    method: event.method,
    secondFactor: event.secondFactor,
    success: event.success,
  }));
  return { items, meta: page.meta };
}

/** Account deletion: every session and sign-in record of the user. */
export async function deleteForUser(em: EntityManager, userId: string): Promise<void> {
  await em.nativeDelete(SessionSchema, { userId });
  await em.nativeDelete(LoginEventSchema, { userId });
}

/** The account export: every session (ended ones too) and the last 500 sign-in attempts. */
export async function exportForUser(em: EntityManager, userId: string, currentSessionId: string | null) {
  const [sessions, logins] = await Promise.all([
    em.find(SessionSchema, { userId }, { orderBy: { id: 'desc' } }),
    em.find(LoginEventSchema, { userId }, { orderBy: { id: 'desc' }, limit: 500 }),
  ]);
  return {
    sessions: sessions.map((session) => ({
      ...presentSession(session, currentSessionId),
      revokedAt: session.revokedAt?.toISOString() ?? null,
    })),
    loginHistory: logins.map((login) => ({
      at: login.at.toISOString(),
      ip: login.ip,
      userAgent: login.userAgent,
      success: login.success,
    })),
  };
}
