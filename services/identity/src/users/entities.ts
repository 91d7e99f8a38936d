import { EntitySchema } from '@mikro-orm/postgresql';

export interface User {
  id: string;
  /** Trimmed and lower-cased; unique. */
  email: string;
  passwordHash: string;
  fullName: string;
  handle: string;
  isVerified: boolean;
  verifiedAt: Date | null;
  isActive: boolean;
  lastLoginAt: Date | null;
  role: 'user' | 'admin';
  createdAt: Date;
  updatedAt: Date;
}

export const UserSchema = new EntitySchema<User>({
  name: 'User',
  tableName: 'users',
  properties: {
    id: { type: 'string', primary: true },
    email: { type: 'string', unique: true },
    passwordHash: { type: 'string', hidden: true },
    fullName: { type: 'string' },
    handle: { type: 'string', unique: true },
    isVerified: { type: 'boolean' },
    verifiedAt: { type: 'Date', nullable: true },
    isActive: { type: 'boolean' },
    lastLoginAt: { type: 'Date', nullable: true },
    role: { type: 'string' },
    createdAt: { type: 'Date' },
    updatedAt: { type: 'Date', onUpdate: () => new Date() },
  },
});

/** The public shape of a user (Quick Start, "A successful response looks like this"). */
export function presentUser(user: User, organizationCount: number) {
  return {
    id: user.id,
    email: user.email,
    fullName: user.fullName,
    handle: user.handle,
    isVerified: user.isVerified,
    verifiedAt: user.verifiedAt?.toISOString() ?? null,
    isActive: user.isActive,
    lastLoginAt: user.lastLoginAt?.toISOString() ?? null,
    role: user.role,
    organizationCount,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
