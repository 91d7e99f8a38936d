import { AppError, validationError } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type User, UserSchema } from './entities.js';

/** The one spelling of an address: trimmed and lower-cased, as stored. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The part after the last `@`, lower-case, without a trailing dot (as verified domains are stored). */
export function emailDomain(email: string): string {
  const normalized = normalizeEmail(email);
  return normalized.slice(normalized.lastIndexOf('@') + 1).replace(/\.$/, '');
}

export function checkPasswordStrength(password: string, email: string): void {
  if (normalizeEmail(password) === normalizeEmail(email)) {
    throw validationError([{ field: 'password', error: 'must not be the email address', location: 'body' }]);
  }
}

export function findUserById(em: EntityManager, userId: string): Promise<User | null> {
  return em.findOne(UserSchema, { id: userId });
}

export function findUserByEmail(em: EntityManager, email: string): Promise<User | null> {
  return em.findOne(UserSchema, { email: normalizeEmail(email) });
}

export async function isHandleTaken(em: EntityManager, handle: string): Promise<boolean> {
  return (await em.findOne(UserSchema, { handle })) !== null;
}

/** The signed-in user; a principal whose account is gone gets the "token" answer. */
export async function getUser(em: EntityManager, userId: string): Promise<User> {
  const user = await findUserById(em, userId);
  if (!user) throw new AppError('INVALID_OR_EXPIRED_TOKEN', 'This account no longer exists');
  return user;
}

/** The user, freshly read in a transaction's entity manager (it must exist). */
export function loadUserForUpdate(em: EntityManager, userId: string): Promise<User> {
  return em.findOneOrFail(UserSchema, { id: userId });
}
