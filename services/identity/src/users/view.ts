import { AppError } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { presentUser, type User } from './entities.js';

/*
 * Hot reads of a user, hand-written: one statement through the ORM's connection, no entity loading, no
 * identity map, no fork (issue #21: a findOne cost ~3.5x the same query, and /me ran two of them).
 * Writes keep going through the entities. The rows are mapped to the same `User` the entity would be,
 * so `presentUser` answers exactly as before.
 */

/** users' columns but the password hash; the driver hands timestamps over as strings (its type parsers). */
const PUBLIC_COLUMNS = `u.id, u.email, u.full_name, u.handle, u.is_verified, u.verified_at, u.is_active,
  u.last_login_at, u.role, u.created_at, u.updated_at`;

/** Every column of users, for a read that becomes a `User` (userFromRow). */
export const USER_COLUMNS = `${PUBLIC_COLUMNS}, u.password_hash`;

/** How many organizations the user belongs to (identity's membership read model), as a column. */
export const ORGANIZATION_COUNT = '(select count(*)::int from user_memberships m where m.user_id = u.id)';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  full_name: string;
  handle: string;
  is_verified: boolean;
  verified_at: string | Date | null;
  is_active: boolean;
  last_login_at: string | Date | null;
  role: User['role'];
  created_at: string | Date;
  updated_at: string | Date;
}

const date = (value: string | Date) => (value instanceof Date ? value : new Date(value));

/** A row of USER_COLUMNS as the entity would hold it (dates parsed as the ORM's platform parses them). */
export function userFromRow(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    fullName: row.full_name,
    handle: row.handle,
    isVerified: row.is_verified,
    verifiedAt: row.verified_at === null ? null : date(row.verified_at),
    isActive: row.is_active,
    lastLoginAt: row.last_login_at === null ? null : date(row.last_login_at),
    role: row.role,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

/**
 * The public shape of a user (`presentUser`) with their organization count, in one primary-key statement:
 * what GET /me answers. A principal whose account is gone gets the "token" answer, as `getUser` gives it.
 */
export async function presentedUser(em: EntityManager, userId: string): Promise<ReturnType<typeof presentUser>> {
  type Row = Omit<UserRow, 'password_hash'> & { organization_count: number };
  const row = (await em
    .getConnection()
    .execute(
      `select ${PUBLIC_COLUMNS}, ${ORGANIZATION_COUNT} as organization_count from users u where u.id = ?`,
      [userId],
      'get',
    )) as Row | undefined;
  if (!row) throw new AppError('INVALID_OR_EXPIRED_TOKEN', 'This account no longer exists');
  // The hash was not read and presentUser never shows it: this object goes nowhere but there.
  return presentUser(userFromRow({ ...row, password_hash: '' }), row.organization_count);
}
