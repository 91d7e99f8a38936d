import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../src/html.js';
import { signingKeysFromPem } from '../src/oauth/keys.js';
import { consentPage } from '../src/oauth/pages.js';
import { redirectUriProblem } from '../src/oauth-store/clients.js';

describe('OAuth redirect URIs (OAuth 2.1, RFC 8252)', () => {
  it.each([
    ['https://app.example.com/callback', null],
    ['http://127.0.0.1:8765/callback', null],
    ['http://localhost/cb', null],
    ['com.example.app:/oauth/callback', null],
    ['http://app.example.com/callback', 'must use https (http only for loopback)'],
    ['https://app.example.com/cb#fragment', 'must not contain a fragment'],
    ['javascript:alert(1)', 'javascript: is not allowed'],
    ['myapp:/cb', 'a custom scheme must be a reverse domain name (com.example.app:/callback)'],
    ['/relative/path', 'must be an absolute URL'],
  ])('%s → %s', (uri, problem) => {
    expect(redirectUriProblem(uri)).toBe(problem);
  });
});

describe('OAuth signing keys from config', () => {
  const pem = (type: 'ed25519' | 'ec') =>
    generateKeyPairSync(type as 'ed25519', type === 'ec' ? ({ namedCurve: 'P-256' } as never) : undefined)
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();

  it('reads several PEM keys, first signs, with stable thumbprint key ids', async () => {
    const first = pem('ed25519');
    const second = pem('ec');
    const { keys, algorithms } = await signingKeysFromPem(`${first}\n${second}`);
    expect(algorithms).toEqual(['EdDSA', 'ES256']);
    expect(keys.map((key) => key.alg)).toEqual(['EdDSA', 'ES256']);
    const again = await signingKeysFromPem(first.replace(/\n/g, '\\n'));
    expect(again.keys[0]?.kid).toBe(keys[0]?.kid);
  });

  it('refuses config without a private key', async () => {
    await expect(signingKeysFromPem('not a key')).rejects.toThrow(/no PEM private key/);
  });
});

describe('OAuth pages', () => {
  it('escapes what an app chose as its name', () => {
    expect(escapeHtml(`<script>"x"&'y'</script>`)).toBe('&#60;script&#62;&#34;x&#34;&#38;&#39;y&#39;&#60;/script&#62;');
    const page = consentPage({
      confirmAction: '/oauth2/interaction/abc/confirm',
      abortAction: '/oauth2/interaction/abc/abort',
      appName: '<img src=x onerror=alert(1)>',
      userLabel: 'ada@example.com',
      scopes: ['user:read', 'openid'],
    });
    expect(page).not.toContain('<img');
    expect(page).toContain('Read your profile, sessions and organization list');
    expect(page).toContain('Know who you are');
    expect(page).not.toMatch(/<script|https?:\/\//);
  });
});
