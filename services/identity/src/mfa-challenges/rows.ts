import { randomBytes } from 'node:crypto';
import { newId, USER_AGENT_MAX_LENGTH } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { IdentityContext } from '../context.js';
import type { ClientInfo } from '../sessions/service.js';
import { type ChallengePurpose, type FirstFactor, type MfaChallenge, MfaChallengeSchema } from './entities.js';
import { forgetStaleChallenges, newHandle } from './handle.js';

export interface ChallengeFields {
  purpose: ChallengePurpose;
  /** Null only for a passwordless ceremony: its handle's tag is then random (no account to tag it with). */
  userId: string | null;
  client: ClientInfo;
  sessionId?: string;
  webauthnChallenge?: string;
  firstFactor?: FirstFactor;
  rememberMe?: boolean;
  interactionUid?: string;
  ssoConnectionId?: string;
  returnTo?: string;
}

/**
 * Adds a challenge row to the caller's transaction (stale rows are swept first) and answers its handle,
 * tagged with the account's tag: it lives MFA_CHALLENGE_TTL_SECONDS, with no attempt spent yet.
 */
export async function insertChallenge(
  ctx: IdentityContext,
  em: EntityManager,
  fields: ChallengeFields,
): Promise<{ handle: string; row: MfaChallenge }> {
  await forgetStaleChallenges(em);
  const tag = fields.userId ? ctx.mfaKeys.accountTag(fields.userId) : randomBytes(12).toString('base64url');
  const { handle, secretHash } = newHandle(tag);
  const now = new Date();
  const row = em.create(MfaChallengeSchema, {
    id: newId(),
    secretHash,
    userId: fields.userId,
    purpose: fields.purpose,
    sessionId: fields.sessionId ?? null,
    firstFactor: fields.firstFactor ?? null,
    ssoConnectionId: fields.ssoConnectionId ?? null,
    returnTo: fields.returnTo ?? null,
    interactionUid: fields.interactionUid ?? null,
    rememberMe: fields.rememberMe ?? true,
    webauthnChallenge: fields.webauthnChallenge ?? null,
    attempts: 0,
    ip: fields.client.ip,
    userAgent: fields.client.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) ?? null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + ctx.config.MFA_CHALLENGE_TTL_SECONDS * 1000),
    usedAt: null,
  });
  return { handle, row };
}
