import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Sealed values read `v1.<iv>.<tag>.<ciphertext>` (base64url); the version names the scheme. */
const VERSION = 'v1';
const IV_BYTES = 12;

/** SSO_SECRET_KEY as configured (base64 of 32 bytes), or its bytes. */
export type SecretKey = string | Buffer;

function keyBytes(secretKey: SecretKey): Buffer {
  const key = typeof secretKey === 'string' ? Buffer.from(secretKey, 'base64') : secretKey;
  if (key.length !== 32) throw new Error('SSO_SECRET_KEY must be base64 of exactly 32 bytes');
  return key;
}

/** Encrypts and authenticates a secret (AES-256-GCM, a fresh random IV each time). */
export function sealSecret(key: SecretKey, plain: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyBytes(key), iv);
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const parts = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'));
  return [VERSION, ...parts].join('.');
}

/** The plain secret; throws when the value was not sealed with this key or was altered. */
export function openSecret(key: SecretKey, sealed: string): string {
  const [version, iv, tag, ciphertext, ...rest] = sealed.split('.');
  if (version !== VERSION || !iv || !tag || ciphertext === undefined || rest.length > 0)
    throw new Error('not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', keyBytes(key), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}
