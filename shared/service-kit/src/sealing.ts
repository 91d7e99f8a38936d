import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM with named keys (e.g. MFA_ENCRYPTION_KEY, WEBHOOK_ENCRYPTION_KEY = `kid:base64,kid:base64…`): the first key seals, every
 * key opens, so a rotation is "put the new key first, re-seal, drop the old one" (docs/mfa.md).
 * Sealed form: `v2.<kid>.<iv>.<tag>.<ciphertext>` (base64url). The AAD binds a sealed value to its row
 * (e.g. `mfa_totp:<userId>`), so a value copied onto another row does not open.
 */
export class Keyring {
  private readonly byKid: Map<string, Buffer>;
  private readonly tagKey: Buffer;

  private constructor(
    private readonly keys: { kid: string; key: Buffer }[],
    /** The variable the keys come from, for messages. */
    private readonly variable: string,
  ) {
    this.byKid = new Map(keys.map(({ kid, key }) => [kid, key]));
    // A key of its own for account tags, derived so a tag never reveals anything about the sealing key.
    this.tagKey = Buffer.from(hkdfSync('sha256', this.first.key, Buffer.alloc(0), 'gatehouse-mfa-account-tag', 32));
  }

  static parse(value: string, variable = 'MFA_ENCRYPTION_KEY'): Keyring {
    const keys = value.split(',').map((entry, index) => {
      const separator = entry.indexOf(':');
      const kid = separator === -1 ? 'k1' : entry.slice(0, separator).trim();
      const key = Buffer.from(separator === -1 ? entry.trim() : entry.slice(separator + 1).trim(), 'base64');
      if (key.length !== 32) throw new Error(`${variable} entry ${index + 1} is not 32 bytes of base64`);
      return { kid, key };
    });
    if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new Error(`${variable} names a kid twice`);
    return new Keyring(keys, variable);
  }

  private get first(): { kid: string; key: Buffer } {
    const first = this.keys[0];
    if (!first) throw new Error(`${this.variable} is empty`);
    return first;
  }

  seal(plain: string, aad: string): string {
    const { kid, key } = this.first;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      'v2',
      kid,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  /** Throws SealError when the value is malformed, sealed with a key no longer configured, or tampered with. */
  open(sealed: string, aad: string): string {
    const [version, kid, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v2' || !kid || !iv || !tag || ciphertext === undefined)
      throw new SealError('malformed sealed value');
    const key = this.byKid.get(kid);
    if (!key) throw new SealError(`sealed with key "${kid}", which ${this.variable} no longer lists`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SealError('sealed value does not open (wrong key or row)');
    }
  }

  /** Sealed with the key that seals now (else it is due for re-sealing). */
  isCurrent(sealed: string): boolean {
    return sealed.split('.')[1] === this.first.kid;
  }

  /**
   * 16 base64url characters keyed on the account: the head of a challenge id, so the gateway can limit
   * second-factor attempts per account without asking identity. Reveals nothing about the account.
   */
  accountTag(userId: string): string {
    return createHmac('sha256', this.tagKey).update(userId, 'utf8').digest('base64url').slice(0, 16);
  }
}

export class SealError extends Error {
  override name = 'SealError';
}
