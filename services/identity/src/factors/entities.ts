import { ArrayType, BigIntType, EntitySchema } from '@mikro-orm/postgresql';

/** An authenticator app (RFC 6238). Pending until a code from it is confirmed. */
export interface MfaTotp {
  userId: string;
  /** The Base32 secret sealed with MFA_ENCRYPTION_KEY (service-kit sealing.ts); never stored in the clear. */
  secretSealed: string;
  confirmedAt: Date | null;
  /** The time step of the last accepted code: a code of this step or an earlier one is refused (replay). */
  lastUsedStep: number | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

export const MfaTotpSchema = new EntitySchema<MfaTotp>({
  name: 'MfaTotp',
  tableName: 'mfa_totp',
  properties: {
    userId: { type: 'string', primary: true },
    secretSealed: { type: 'string' },
    confirmedAt: { type: 'Date', nullable: true },
    lastUsedStep: { type: new BigIntType('number'), nullable: true },
    lastUsedAt: { type: 'Date', nullable: true },
    createdAt: { type: 'Date' },
  },
});

/** A WebAuthn credential registered to the account: a second factor and a passwordless way in. */
export interface MfaPasskey {
  id: string;
  userId: string;
  /** The credential id, base64url (what the browser sends back). */
  credentialId: string;
  /** COSE public key. */
  publicKey: Buffer;
  /** The authenticator's signature counter; a value that does not go up means a copied authenticator. */
  counter: number;
  transports: string[];
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  aaguid: string | null;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** When the owner was last mailed that this passkey may have been copied (once a day at most). */
  cloneWarnedAt: Date | null;
}

export const MfaPasskeySchema = new EntitySchema<MfaPasskey>({
  name: 'MfaPasskey',
  tableName: 'mfa_passkeys',
  properties: {
    id: { type: 'string', primary: true },
    userId: { type: 'string', index: true },
    credentialId: { type: 'string', unique: true },
    publicKey: { type: 'Buffer' },
    counter: { type: new BigIntType('number') },
    transports: { type: ArrayType },
    deviceType: { type: 'string' },
    backedUp: { type: 'boolean' },
    aaguid: { type: 'string', nullable: true },
    name: { type: 'string' },
    createdAt: { type: 'Date' },
    lastUsedAt: { type: 'Date', nullable: true },
    cloneWarnedAt: { type: 'Date', nullable: true },
  },
});

/** One single-use recovery code; only its SHA-256 is kept (80 random bits: a fast hash suffices). */
export interface MfaRecoveryCode {
  id: string;
  userId: string;
  codeHash: string;
  createdAt: Date;
  usedAt: Date | null;
}

export const MfaRecoveryCodeSchema = new EntitySchema<MfaRecoveryCode>({
  name: 'MfaRecoveryCode',
  tableName: 'mfa_recovery_codes',
  properties: {
    id: { type: 'string', primary: true },
    userId: { type: 'string', index: true },
    codeHash: { type: 'string', unique: true },
    createdAt: { type: 'Date' },
    usedAt: { type: 'Date', nullable: true },
  },
});

export function presentPasskey(passkey: MfaPasskey) {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
    deviceType: passkey.deviceType,
    backedUp: passkey.backedUp,
    transports: passkey.transports,
  };
}
