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

  it('blanks every secret of the second-factor calls, whatever the route', () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [
        { challengeId: 'tag.secret', type: 'totp', code: '123456' },
        { challengeId: '…', type: 'totp', code: '…' },
      ],
      [
        { challengeId: 'tag.secret', type: 'recovery_code', code: 'ABCD-EFGH-JKMN-PQRS' },
        { challengeId: '…', type: 'recovery_code', code: '…' },
      ],
      [
        { challengeId: 'tag.secret', type: 'passkey', credential: { id: 'x', response: { signature: 's' } } },
        { challengeId: '…', type: 'passkey', credential: '…' },
      ],
      [
        { ceremonyId: 'tag.secret', credential: { id: 'x' }, name: 'Laptop' },
        { ceremonyId: '…', credential: '…', name: 'Laptop' },
      ],
      [{ token: 'mailed' }, { token: '…' }],
      [{ code: '654321' }, { code: '…' }],
      [
        { secret: 'JBSWY3DP', otpauthUri: 'otpauth://totp/x', qrCodeDataUrl: 'data:image/svg+xml;base64,AA' },
        { secret: '…', otpauthUri: '…', qrCodeDataUrl: '…' },
      ],
      [{ recoveryCodes: ['A', 'B'] }, { recoveryCodes: '…' }],
      // Not secrets: the factor's type, a passkey's name, the policy switch.
      [{ mfaRequired: true }, { mfaRequired: true }],
      [
        { name: 'Security key', type: 'totp' },
        { name: 'Security key', type: 'totp' },
      ],
    ];
    for (const [sent, shown] of cases) expect(JSON.parse(redactBody(JSON.stringify(sent)) ?? '{}')).toEqual(shown);
  });

  it('keeps the cookie jar for every way in, and sends it back to answer a step-up', () => {
    for (const path of ['/api/auth/passkey/verify', '/api/auth/magic-link/verify', '/api/auth/sign-in/email']) {
      const line = curlOf({ method: 'POST', path, body: '{}' }, 'http://h');
      expect(line, path).toContain('-c cookies.txt');
      expect(line, path).not.toContain('-b cookies.txt');
    }
    expect(curlOf({ method: 'POST', path: '/api/auth/mfa/verify', body: '{}' }, 'http://h')).toContain(
      '-b cookies.txt -c cookies.txt',
    );
    for (const path of ['/api/auth/passkey/options', '/api/user/mfa/step-up', '/api/auth/magic-link']) {
      const line = curlOf({ method: 'POST', path, body: '{}' }, 'http://h');
      expect(line, path).toContain('-b cookies.txt');
      expect(line, path).not.toContain('-c cookies.txt');
    }
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
