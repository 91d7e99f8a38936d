import { AppError } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { normalizeIdpEmail } from '../src/sso/account-linking.js';

function reasonOf(raw: string): unknown {
  try {
    normalizeIdpEmail(raw);
  } catch (error) {
    return error instanceof AppError ? error.meta?.reason : error;
  }
  return null;
}

describe('normalizeIdpEmail', () => {
  it('gives the one spelling we look up: lower-case, no trailing dot, IDN as ASCII', () => {
    expect(normalizeIdpEmail(' Bob@Acme.COM ')).toBe('bob@acme.com');
    expect(normalizeIdpEmail('bob@acme.com.')).toBe('bob@acme.com');
    expect(normalizeIdpEmail('anna@Bücher.example')).toBe('anna@xn--bcher-kva.example');
  });

  it('refuses anything but exactly one @ with a local part and a real domain', () => {
    for (const raw of [
      'x@victim.com@acme.com',
      'acme.com',
      '@acme.com',
      'bob@',
      'bob@acme',
      'b ob@acme.com',
      'bob@acme..com',
    ]) {
      expect(reasonOf(raw), raw).toBe('SSO_EMAIL_INVALID');
    }
  });
});
