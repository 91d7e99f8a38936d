import { AppError, newId } from '@gatehouse/contracts';
import { hashSecret, randomSecret } from '@gatehouse/service-kit';
import { type EntityManager, LockMode } from '@mikro-orm/postgresql';
import { OneTimeTokenSchema, type TokenPurpose } from './entities.js';

/** Issues a token, retiring any earlier unused one of the same purpose (only the newest link works). */
export async function issueToken(em: EntityManager, userId: string, purpose: TokenPurpose, ttlSeconds: number) {
  await em.nativeUpdate(OneTimeTokenSchema, { userId, purpose, usedAt: null }, { usedAt: new Date() });
  const token = randomSecret(32);
  const now = new Date();
  em.create(OneTimeTokenSchema, {
    id: newId(),
    userId,
    purpose,
    tokenHash: hashSecret(token),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
    usedAt: null,
  });
  return token;
}

/**
 * Marks the token used and returns its user. The row lock makes two concurrent uses
 * of the same link resolve to one success and one failure.
 */
export async function consumeToken(em: EntityManager, purpose: TokenPurpose, token: string): Promise<string> {
  const row = await em.findOne(
    OneTimeTokenSchema,
    { tokenHash: hashSecret(token), purpose },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  if (!row || row.usedAt || row.expiresAt <= new Date()) {
    throw new AppError('INVALID_OR_EXPIRED_TOKEN', 'This link is invalid, expired or already used');
  }
  row.usedAt = new Date();
  return row.userId;
}

/** Recovery: a link mailed before it was asked for by whoever held the account then. */
export async function consumeOutstandingTokens(em: EntityManager, userId: string): Promise<void> {
  await em.nativeUpdate(OneTimeTokenSchema, { userId, usedAt: null }, { usedAt: new Date() });
}

/** Account deletion. */
export async function deleteForUser(em: EntityManager, userId: string): Promise<void> {
  await em.nativeDelete(OneTimeTokenSchema, { userId });
}
