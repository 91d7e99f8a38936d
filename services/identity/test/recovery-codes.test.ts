import { describe, expect, it } from 'vitest';
import { totpCode, totpCodeAt } from '../../../test/support/totp.js';
import { newRecoveryCode, normaliseRecoveryCode } from '../src/factors/recovery-codes.js';
import { totpStepOf } from '../src/factors/totp.js';
import { passkeyNameFor } from '../src/mfa/passkey-names.js';

const CROCKFORD = /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}(-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}){3}$/;

describe('recovery codes', () => {
  it('are XXXX-XXXX-XXXX-XXXX in Crockford base32, and never repeat', () => {
    const codes = Array.from({ length: 2000 }, newRecoveryCode);
    for (const code of codes) expect(code).toMatch(CROCKFORD);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('carry 80 random bits: every character of the alphabet shows up in every position', () => {
    const codes = Array.from({ length: 3000 }, () => newRecoveryCode().replace(/-/g, ''));
    for (let position = 0; position < 16; position++) {
      expect(new Set(codes.map((code) => code[position])).size).toBe(32);
    }
  });

  it('normalise what a person types back to the generated form', () => {
    const code = newRecoveryCode();
    const plain = code.replace(/-/g, '');
    for (const typed of [
      code,
      plain,
      code.toLowerCase(),
      ` ${code} `,
      code.replace(/-/g, ' '),
      plain.match(/.{2}/g)?.join(' ') ?? plain,
    ]) {
      expect(normaliseRecoveryCode(typed)).toBe(plain);
    }
  });

  it.each([
    ['ABCD-EFGH-JKMN-PQRS', 'ABCDEFGHJKMNPQRS'],
    ['oooo-iiii-llll-0000', '0000111111110000'],
    ['OIL0-OIL0-OIL0-OIL0', '0110011001100110'],
  ])('reads the letters Crockford maps to digits: %s', (typed, plain) => {
    expect(normaliseRecoveryCode(typed)).toBe(plain);
  });

  it.each([
    '',
    'ABCD-EFGH-JKMN-PQR',
    'ABCD-EFGH-JKMN-PQRST',
    'ABCD-EFGH-JKMN-PQRU',
    'ABCD_EFGH_JKMN_PQRS',
    'ABCD-EFGH-JKMN-PQR!',
  ])('refuse what cannot be a code: %j', (typed) => {
    expect(normaliseRecoveryCode(typed)).toBeNull();
  });
});

describe('authenticator codes (oathtool computes them, otplib checks them)', () => {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const step = (offset: number) => Math.floor(Date.now() / 30_000) + offset;

  it('accept the current step and one step either side, refuse a code two steps old or three ahead', async () => {
    for (const offset of [-1, 0, 1]) {
      const found = await totpStepOf(secret, totpCodeAt(secret, offset), null);
      // A boundary may pass between computing the code and checking it: a step off by one is the same rule.
      expect(found).not.toBeNull();
      expect(Math.abs((found ?? 0) - step(offset))).toBeLessThanOrEqual(1);
    }
    for (const offset of [-2, 3]) expect(await totpStepOf(secret, totpCodeAt(secret, offset), null)).toBeNull();
  });

  it('refuse a code whose step is not after the last used one (replay)', async () => {
    const code = totpCode(secret);
    const found = await totpStepOf(secret, code, null);
    expect(found).not.toBeNull();
    expect(await totpStepOf(secret, code, found)).toBeNull();
    expect(await totpStepOf(secret, code, (found ?? 0) + 5)).toBeNull();
    expect(await totpStepOf(secret, code, (found ?? 0) - 1)).toBe(found);
  });

  it.each(['000000', 'abcdef', '12345', ''])('refuse a wrong or malformed code %j', async (code) => {
    const right = totpCode(secret);
    if (code === right) return;
    expect(await totpStepOf(secret, code, null)).toBeNull();
  });
});

describe('default passkey names', () => {
  it.each([
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      'Passkey (Chrome on macOS)',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0',
      'Passkey (Edge on Windows)',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
      'Passkey (Safari on iOS)',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0', 'Passkey (Firefox on Linux)'],
    [
      'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36',
      'Passkey (Chrome on Android)',
    ],
    ['curl/8.0', 'Passkey'],
    [null, 'Passkey'],
  ])('%s → %s', (userAgent, name) => {
    expect(passkeyNameFor(userAgent)).toBe(name);
  });
});
