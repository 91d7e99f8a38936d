import { newId } from '@gatehouse/contracts';
import { hashSecret, randomSecret } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { User } from '../accounts/entities.js';
import { announceRevocation } from '../credentials/revocation.js';
import { LoginEventSchema, type Session, SessionSchema } from './entities.js';

export interface SessionPolicy {
  idleSeconds: number;
  maxAgeSeconds: number;
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface SignInResult {
  token: string;
  session: Session;
  user: User;
}

export class SessionService {
  constructor(private readonly policy: SessionPolicy) {}

  /** Issues a 256-bit session token; only its hash is persisted. */
  create(em: EntityManager, user: User, client: ClientInfo): { token: string; session: Session } {
    const token = randomSecret(32);
    const now = new Date();
    const session = em.create(SessionSchema, {
      id: newId(),
      userId: user.id,
      tokenHash: hashSecret(token),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.policy.idleSeconds * 1000),
      absoluteExpiresAt: new Date(now.getTime() + this.policy.maxAgeSeconds * 1000),
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      revokedAt: null,
    });
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

  recordLogin(
    em: EntityManager,
    userId: string,
    client: ClientInfo,
    success: boolean,
    failureReason: string | null = null,
  ) {
    em.create(LoginEventSchema, {
      id: newId(),
      userId,
      at: new Date(),
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      method: 'password',
      success,
      failureReason,
    });
  }
}
