import { EVENT_SUBJECTS, newId, type ResolveCredentialReply, SCIM_TOKEN_PREFIX } from '@gatehouse/contracts';
import { hashSecret, randomSecret, recordActivity, sameDigest } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type IdentityContext, readEm } from '../context.js';
import { announceRevocation } from '../credentials/revocation.js';
import { type Directory, DirectorySchema, type DirectoryToken, DirectoryTokenSchema } from './entities.js';

/** The prefix and a few characters: enough to tell two tokens apart in the console, nothing to guess with. */
const TOKEN_START_LENGTH = 12;
const REFUSED: ResolveCredentialReply = { ok: false, reason: 'INVALID_OR_EXPIRED_TOKEN' };

/** A new bearer token for the directory, minted by this person: answered once, only its SHA-256 kept. */
export async function issueDirectoryToken(
  em: EntityManager,
  directoryId: string,
  createdByUserId: string,
): Promise<{ token: string; row: DirectoryToken }> {
  const token = `${SCIM_TOKEN_PREFIX}${randomSecret(32)}`;
  const row = em.create(DirectoryTokenSchema, {
    id: newId(),
    directoryId,
    tokenHash: hashSecret(token),
    tokenStart: token.slice(0, TOKEN_START_LENGTH),
    createdByUserId,
    createdAt: new Date(),
    expiresAt: null,
  });
  await em.flush();
  return { token, row };
}

export function isLiveToken(token: Pick<DirectoryToken, 'expiresAt'>, now = new Date()): boolean {
  return token.expiresAt === null || token.expiresAt > now;
}

/**
 * Answers the gateway's look-up of a SCIM token: the live token of a live directory becomes a
 * DirectoryPrincipal (cached no longer than the token has left), anything else INVALID_OR_EXPIRED_TOKEN.
 */
export async function resolveDirectoryToken(ctx: IdentityContext, secret: string): Promise<ResolveCredentialReply> {
  if (!secret.startsWith(SCIM_TOKEN_PREFIX)) return REFUSED;
  const em = readEm(ctx);
  const digest = hashSecret(secret);
  const token = await em.findOne(DirectoryTokenSchema, { tokenHash: digest });
  if (!token || !sameDigest(token.tokenHash, digest) || !isLiveToken(token)) return REFUSED;
  const directory = await em.findOne(DirectorySchema, { id: token.directoryId, deletedAt: null });
  if (!directory) return REFUSED;
  return {
    ok: true,
    principal: {
      kind: 'scim',
      credentialId: token.id,
      directoryId: directory.id,
      organizationId: directory.organizationId,
      ttlSeconds: cacheSeconds(ctx, token.expiresAt),
    },
  };
}

/** Never cached past the moment a rotated token ends by itself. */
function cacheSeconds(ctx: IdentityContext, expiresAt: Date | null): number {
  if (!expiresAt) return ctx.config.CREDENTIAL_CACHE_SECONDS;
  const left = Math.floor((expiresAt.getTime() - Date.now()) / 1000);
  return Math.max(Math.min(ctx.config.CREDENTIAL_CACHE_SECONDS, left), 0);
}

/** The directory's live tokens, newest first. */
export function liveTokensOf(em: EntityManager, directoryId: string): Promise<DirectoryToken[]> {
  return em.find(DirectoryTokenSchema, { directoryId, ...stillLive() }, { orderBy: { createdAt: 'desc', id: 'desc' } });
}

/** A token without an end, or whose end is still ahead (as isLiveToken says, in SQL). */
function stillLive() {
  return { $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] };
}

/**
 * Ends tokens now, in the caller's transaction, and tells every gateway to drop its cached answer
 * for each (a cached SCIM principal would otherwise work up to CREDENTIAL_CACHE_SECONDS longer).
 */
export function endTokens(em: EntityManager, tokens: DirectoryToken[], requestId?: string): void {
  const now = new Date();
  for (const token of tokens) {
    token.expiresAt = now;
    announceTokenChange(em, token, requestId);
  }
}

/**
 * Account recovery: the live tokens this person minted end now, as a rotation without overlap ends them,
 * whichever directory they are for (whoever held the account may have minted one to keep a way in).
 * Each directory's organization hears of it in its log: its SCIM sync may stop until an owner rotates.
 */
export async function endTokensMintedBy(em: EntityManager, userId: string, requestId?: string): Promise<void> {
  const minted = await em.find(DirectoryTokenSchema, { createdByUserId: userId, ...stillLive() });
  if (minted.length === 0) return;
  const directoryIds = [...new Set(minted.map((token) => token.directoryId))];
  const live = await em.find(DirectoryTokenSchema, { directoryId: { $in: directoryIds }, ...stillLive() });
  endTokens(em, minted, requestId);
  const directories = await em.find(DirectorySchema, { id: { $in: directoryIds } });
  for (const directory of directories) {
    const count = (tokens: DirectoryToken[]) => tokens.filter((token) => token.directoryId === directory.id).length;
    recordMinterRecovered(em, directory, userId, count(live), count(minted));
  }
}

/** `directory.token_rotated` as "revoke every token" records it, with why: the minter's recovery. */
function recordMinterRecovered(em: EntityManager, directory: Directory, userId: string, live: number, ended: number) {
  recordActivity(em, EVENT_SUBJECTS.identityActivity, {
    action: 'directory.token_rotated',
    organizationId: directory.organizationId,
    userId,
    target: { type: 'directory', id: directory.id, name: directory.name },
    changes: { reason: { after: 'minter_recovered' }, liveTokens: { before: live, after: live - ended } },
  });
}

/** Every gateway drops its cached answer for the token (its directory id rides as the event's `userId`). */
export function announceTokenChange(em: EntityManager, token: DirectoryToken, requestId?: string): void {
  announceRevocation(em, { kind: 'scim', id: token.id, userId: token.directoryId }, requestId);
}
