import { describe, expect, it } from 'vitest';
import { curlOf, redactBody, redactPath } from '../web/src/api/calls.js';

describe('the "Use the API" panel', () => {
  it('blanks every secret field of a body, at any depth, and keeps the rest', () => {
    const body = redactBody(
      JSON.stringify({
        email: 'ada@example.com',
        password: 'hunter2hunter2',
        nested: { newPassword: 'x', currentPassword: 'y', clientSecret: 's', token: 't', apiKey: 'k' },
        name: 'CI bot',
      }),
    );
    const shown = JSON.parse(body ?? '{}');
    expect(shown).toEqual({
      email: 'ada@example.com',
      password: '…',
      nested: { newPassword: '…', currentPassword: '…', clientSecret: '…', token: '…', apiKey: '…' },
      name: 'CI bot',
    });
  });

  it('blanks a secret whatever its shape: arrays of codes, objects, numbers', () => {
    const shown = JSON.parse(
      redactBody(JSON.stringify({ recoveryCodes: ['a', 'b'], password: { value: 'x' }, code: 123456, otp: '1' })) ??
        '{}',
    );
    expect(shown).toEqual({ recoveryCodes: '…', password: '…', code: '…', otp: '…' });
    // A flag is no secret, and blanking it would change what the copied call does.
    expect(JSON.parse(redactBody('{"rotateSecret":true}') ?? '{}')).toEqual({ rotateSecret: true });
  });

  it('blanks tokens in the path and the query (mailed links, invitations)', () => {
    expect(redactPath(new URL('http://h/api/auth/verify-email?token=abc&x=1'))).toBe(
      '/api/auth/verify-email?token=…&x=1',
    );
    expect(redactPath(new URL('http://h/api/user/invites/SECRET/accept'))).toBe('/api/user/invites/…/accept');
    expect(redactPath(new URL('http://h/api/user/organizations/o/projects?q=token&limit=2'))).toBe(
      '/api/user/organizations/o/projects?q=token&limit=2',
    );
  });

  it('shows nothing for a body it cannot read', () => {
    expect(redactBody('')).toBeUndefined();
    expect(redactBody('not json')).toBeUndefined();
  });

  it('writes curl the way the Quick Start does: the jar kept at sign-in, sent back after', () => {
    const signIn = curlOf(
      { method: 'POST', path: '/api/auth/sign-in/email', body: '{"email":"a@b.c","password":"…"}' },
      'http://localhost:8080',
    );
    expect(signIn).toBe(
      [
        "curl -X POST 'http://localhost:8080/api/auth/sign-in/email'",
        "-H 'Content-Type: application/json'",
        '-c cookies.txt',
        `-d '{"email":"a@b.c","password":"…"}'`,
      ].join(' \\\n  '),
    );
    const list = curlOf({ method: 'GET', path: '/api/user/organizations/o/projects?q=a&limit=20' }, 'http://h');
    expect(list).toBe("curl 'http://h/api/user/organizations/o/projects?q=a&limit=20' \\\n  -b cookies.txt");
  });

  it('quotes for the shell: a quote in a value cannot end the argument', () => {
    const line = curlOf({ method: 'PUT', path: '/api/user/me', body: `{"fullName":"O'Brien; rm -rf /"}` }, 'http://h');
    expect(line).toContain(`-d '{"fullName":"O'\\''Brien; rm -rf /"}'`);
  });
});
