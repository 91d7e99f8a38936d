import type { Amr, LoginMethodName, MfaFactor } from '@gatehouse/contracts';
import { ArrayType, EntitySchema } from '@mikro-orm/postgresql';

export interface Session {
  id: string;
  userId: string;
  /** sha256 of the cookie value; the value itself is never stored. */
  tokenHash: string;
  createdAt: Date;
  lastSeenAt: Date;
  /** Idle expiry, slid forward on use. */
  expiresAt: Date;
  /** Hard cap, never moved. */
  absoluteExpiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  revokedAt: Date | null;
  /** The SSO connection the session came through (null for a password sign-in); for `ssoRequired`. */
  ssoConnectionId?: string | null;
  /** How it was signed in to (RFC 8176 values plus `sso` and `email`), e.g. ['pwd', 'otp', 'mfa']. */
  amr: Amr[];
  /** When a second factor was last proven in it (sign-in, enrolment, step-up); null: never. */
  secondFactorAt: Date | null;
}

export const SessionSchema = new EntitySchema<Session>({
  name: 'Session',
  tableName: 'sessions',
  properties: {
    id: { type: 'string', primary: true },
    userId: { type: 'string', index: true },
    tokenHash: { type: 'string', unique: true },
    createdAt: { type: 'Date' },
    lastSeenAt: { type: 'Date' },
    expiresAt: { type: 'Date' },
    absoluteExpiresAt: { type: 'Date' },
    ip: { type: 'string', nullable: true },
    userAgent: { type: 'string', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
    ssoConnectionId: { type: 'string', nullable: true },
    amr: { type: ArrayType },
    secondFactorAt: { type: 'Date', nullable: true },
  },
});

export interface LoginEvent {
  id: string;
  userId: string;
  at: Date;
  ip: string | null;
  userAgent: string | null;
  method: LoginMethodName;
  /** The second factor proven (or tried, when it failed), when one was asked for. */
  secondFactor: MfaFactor | null;
  success: boolean;
  /** Why a failed attempt failed (wrong password, deactivated), for the account owner. */
  failureReason: string | null;
}

export const LoginEventSchema = new EntitySchema<LoginEvent>({
  name: 'LoginEvent',
  tableName: 'login_events',
  properties: {
    id: { type: 'string', primary: true },
    userId: { type: 'string', index: true },
    at: { type: 'Date' },
    ip: { type: 'string', nullable: true },
    userAgent: { type: 'string', nullable: true },
    method: { type: 'string' },
    secondFactor: { type: 'string', nullable: true },
    success: { type: 'boolean' },
    failureReason: { type: 'string', nullable: true },
  },
});

export function presentSession(session: Session, currentSessionId: string | null) {
  return {
    id: session.id,
    current: session.id === currentSessionId,
    createdAt: session.createdAt.toISOString(),
    lastSeenAt: session.lastSeenAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    ip: session.ip,
    userAgent: session.userAgent,
    amr: session.amr,
    secondFactorAt: session.secondFactorAt?.toISOString() ?? null,
  };
}
