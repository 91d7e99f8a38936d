import { EntitySchema } from '@mikro-orm/postgresql';

export type TokenPurpose = 'verify_email' | 'reset_password' | 'magic_link';

/** Single-use links (email verification, password reset, magic sign-in); only a hash is stored. */
export interface OneTimeToken {
  id: string;
  userId: string;
  purpose: TokenPurpose;
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

export const OneTimeTokenSchema = new EntitySchema<OneTimeToken>({
  name: 'OneTimeToken',
  tableName: 'one_time_tokens',
  properties: {
    id: { type: 'string', primary: true },
    userId: { type: 'string', index: true },
    purpose: { type: 'string' },
    tokenHash: { type: 'string', unique: true },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date' },
    usedAt: { type: 'Date', nullable: true },
  },
});
