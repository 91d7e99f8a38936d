import { describe, expect, it } from 'vitest';
import { checkReturnTo } from '../src/sso/return-to.js';

const config = { PUBLIC_URL: 'https://id.example.com', SSO_RETURN_TO_ORIGINS: 'https://app.example.com' };

describe('checkReturnTo', () => {
  it('keeps same-site paths and allowed origins', () => {
    expect(checkReturnTo(config, undefined)).toBe('/');
    expect(checkReturnTo(config, '/dashboard?tab=1#top')).toBe('/dashboard?tab=1#top');
    expect(checkReturnTo(config, 'https://app.example.com/welcome')).toBe('https://app.example.com/welcome');
    expect(checkReturnTo(config, 'https://id.example.com/x')).toBe('https://id.example.com/x');
  });

  it.each([
    '//evil.com',
    '///evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    '/%2Fevil.com',
    '/%2f%2fevil.com',
    '/%5Cevil.com',
    'https://evil.com',
    'https://app.example.com.evil.com/',
    'https://user:pw@app.example.com/',
    'https:evil.com',
    'https:/evil.com',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'data:text/html,hi',
    ' //evil.com',
    '/\t/evil.com',
    '%2F%2Fevil.com',
    'evil.com',
    'http://app.example.com/',
    // Dot segments that resolve to `//evil.com` after the check.
    '/.//evil.com',
    '/..//evil.com',
    '/%2e//evil.com',
    '/%2e%2e//evil.com',
    '/a/..//evil.com',
    '/a/../%2F/evil.com',
  ])('refuses %s', (value) => {
    expect(() => checkReturnTo(config, value)).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR' }));
  });
});
