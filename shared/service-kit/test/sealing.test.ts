import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Keyring, SealError } from '../src/sealing.js';

const key = () => randomBytes(32).toString('base64');

describe('Keyring', () => {
  const k1 = key();
  const k2 = key();

  it.each(['', 'JBSWY3DPEHPK3PXP', 'ü ∑ emoji 🙂', 'x'.repeat(4096)])('opens what it sealed (%#)', (plain) => {
    const ring = Keyring.parse(`k1:${k1}`);
    const sealed = ring.seal(plain, 'mfa_totp:01USER');
    expect(sealed).toMatch(/^v2\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/);
    if (plain) expect(sealed).not.toContain(plain);
    expect(ring.open(sealed, 'mfa_totp:01USER')).toBe(plain);
  });

  it('seals the same value differently each time (a fresh IV)', () => {
    const ring = Keyring.parse(k1);
    expect(ring.seal('secret', 'a')).not.toBe(ring.seal('secret', 'a'));
  });

  it('a bare key is kid k1', () => {
    expect(Keyring.parse(k1).seal('s', 'a').split('.')[1]).toBe('k1');
  });

  it.each(['mfa_totp:01OTHER', 'mfa_totp:01USER ', ''])('refuses a value moved onto another row (AAD %j)', (aad) => {
    const ring = Keyring.parse(`k1:${k1}`);
    const sealed = ring.seal('secret', 'mfa_totp:01USER');
    expect(() => ring.open(sealed, aad)).toThrow(SealError);
  });

  it('refuses a value sealed with a key it no longer lists, naming the kid', () => {
    const sealed = Keyring.parse(`old:${k1}`).seal('secret', 'a');
    expect(() => Keyring.parse(`new:${k2}`).open(sealed, 'a')).toThrow(/"old"/);
  });

  it('refuses a value whose kid is listed but whose key differs', () => {
    const sealed = Keyring.parse(`k1:${k1}`).seal('secret', 'a');
    expect(() => Keyring.parse(`k1:${k2}`).open(sealed, 'a')).toThrow(SealError);
  });

  it.each(['garbage', 'v1.k1.a.b.c', 'v2.k1..b.c', 'v2.k1.a..c', 'v2.k1'])('refuses a malformed value %j', (sealed) => {
    expect(() => Keyring.parse(`k1:${k1}`).open(sealed, 'a')).toThrow(SealError);
  });

  it('refuses a tampered ciphertext, tag or IV', () => {
    const ring = Keyring.parse(`k1:${k1}`);
    const parts = ring.seal('secret value', 'a').split('.');
    for (const index of [2, 3, 4]) {
      const tampered = [...parts];
      const bytes = Buffer.from(tampered[index] ?? '', 'base64url');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      tampered[index] = bytes.toString('base64url');
      expect(() => ring.open(tampered.join('.'), 'a')).toThrow(SealError);
    }
  });

  it('rotation: with `new,old` the new key seals, both open, and only new-key values are current', () => {
    const before = Keyring.parse(`old:${k1}`);
    const during = Keyring.parse(`new:${k2},old:${k1}`);
    const oldSealed = before.seal('secret', 'a');
    const newSealed = during.seal('secret', 'a');
    expect(newSealed.split('.')[1]).toBe('new');
    expect(during.open(oldSealed, 'a')).toBe('secret');
    expect(during.open(newSealed, 'a')).toBe('secret');
    expect(during.isCurrent(oldSealed)).toBe(false);
    expect(during.isCurrent(newSealed)).toBe(true);
    expect(before.isCurrent(oldSealed)).toBe(true);
    // After the old key is dropped, only what was re-sealed still opens.
    const after = Keyring.parse(`new:${k2}`);
    expect(after.open(newSealed, 'a')).toBe('secret');
    expect(() => after.open(oldSealed, 'a')).toThrow(SealError);
  });

  it.each([
    ['a key that is not 32 bytes', `k1:${randomBytes(16).toString('base64')}`],
    ['a kid named twice', `k1:${k1},k1:${k2}`],
  ])('refuses configuration with %s', (_what, value) => {
    expect(() => Keyring.parse(value)).toThrow(/MFA_ENCRYPTION_KEY/);
  });

  it('account tags: 16 base64url characters, stable, distinct per account, keyed by the first key', () => {
    const ring = Keyring.parse(`k1:${k1}`);
    const tag = ring.accountTag('01HUSERAAAAAAAAAAAAAAAAAAA');
    expect(tag).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(Keyring.parse(`k1:${k1}`).accountTag('01HUSERAAAAAAAAAAAAAAAAAAA')).toBe(tag);
    expect(Keyring.parse(`k1:${k1},k9:${k2}`).accountTag('01HUSERAAAAAAAAAAAAAAAAAAA')).toBe(tag);
    expect(ring.accountTag('01HUSERBBBBBBBBBBBBBBBBBBB')).not.toBe(tag);
    expect(Keyring.parse(`k1:${k2}`).accountTag('01HUSERAAAAAAAAAAAAAAAAAAA')).not.toBe(tag);
    const tags = new Set(Array.from({ length: 500 }, (_, index) => ring.accountTag(`user-${index}`)));
    expect(tags.size).toBe(500);
  });
});
