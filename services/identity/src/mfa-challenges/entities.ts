import { EntitySchema } from '@mikro-orm/postgresql';

export type ChallengePurpose = 'sign_in' | 'step_up' | 'passkey_registration' | 'passkey_sign_in';

/** What a sign-in proved first: a password, SSO or a magic link (RFC 8176 amr values; `email` for the link). */
export type FirstFactor = 'pwd' | 'sso' | 'email';

/**
 * A step between two proofs, kept in PostgreSQL (never only in a cookie or in memory): a sign-in waiting
 * for its second factor, a step-up, or a WebAuthn ceremony. The handle handed out is
 * `<accountTag>.<secret>`; only the secret's SHA-256 is stored. Single use, MFA_CHALLENGE_TTL_SECONDS /
 * MFA_CHALLENGE_MAX_ATTEMPTS (5 minutes, 5 attempts by default).
 */
export interface MfaChallenge {
  id: string;
  secretHash: string;
  /** Null only for a passwordless passkey ceremony (no account is known until the assertion). */
  userId: string | null;
  purpose: ChallengePurpose;
  /** step_up and passkey_registration: the session it belongs to. */
  sessionId: string | null;
  /** sign_in: what was proven first — 'pwd', 'sso' or 'email' (magic link). */
  firstFactor: FirstFactor | null;
  /** sign_in after SSO: carried onto the session (for `ssoRequired`). */
  ssoConnectionId: string | null;
  /** sign_in after SSO: where the browser goes afterwards (checked at SSO start). */
  returnTo: string | null;
  /** sign_in from the OAuth login page: the interaction it is bound to. */
  interactionUid: string | null;
  rememberMe: boolean;
  /** The WebAuthn challenge of the last options handed out for it. */
  webauthnChallenge: string | null;
  /** Counted before each check, so a crash or a wrong answer always costs one. */
  attempts: number;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export const MfaChallengeSchema = new EntitySchema<MfaChallenge>({
  name: 'MfaChallenge',
  tableName: 'mfa_challenges',
  properties: {
    id: { type: 'string', primary: true },
    secretHash: { type: 'string', unique: true },
    userId: { type: 'string', nullable: true },
    purpose: { type: 'string' },
    sessionId: { type: 'string', nullable: true },
    firstFactor: { type: 'string', nullable: true },
    ssoConnectionId: { type: 'string', nullable: true },
    returnTo: { type: 'string', nullable: true },
    interactionUid: { type: 'string', nullable: true },
    rememberMe: { type: 'boolean' },
    webauthnChallenge: { type: 'string', nullable: true },
    attempts: { type: 'integer' },
    ip: { type: 'string', nullable: true },
    userAgent: { type: 'string', nullable: true },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date', index: true },
    usedAt: { type: 'Date', nullable: true },
  },
});
