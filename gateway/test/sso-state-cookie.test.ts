import { SSO_STATE_COOKIE } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { upstreamHeaders } from '../src/proxy/headers.js';

/** Which cookies an upstream receives: the SSO sign-in's state goes only to the SSO sign-in routes. */
const incoming = { cookie: `gatehouse_session=secret-session; ${SSO_STATE_COOKIE}=the-state; theme=dark` };
const extra = (path: string) => ({
  principalToken: 'signed',
  requestId: 'req-1',
  clientIp: '203.0.113.7',
  proto: 'https',
  host: 'gatehouse.example',
  path,
});

describe('the SSO state cookie on its way upstream', () => {
  it('goes alone to the SSO sign-in routes (discover, the OIDC callback, the SAML ACS)', () => {
    for (const path of [
      '/api/auth/sso/discover?email=a%40b.test',
      '/api/auth/sso/callback?code=c&state=s',
      '/api/auth/sso/saml/01JCONNECTION/acs',
    ]) {
      expect(upstreamHeaders(incoming, extra(path)).cookie, path).toBe(`${SSO_STATE_COOKIE}=the-state`);
    }
  });

  it('never goes to any other route, whatever its upstream', () => {
    for (const path of [
      '/api/user/me',
      '/api/user/organizations/01JORG/projects',
      '/api/auth/identify',
      '/api/auth/sign-in/email',
      '/api/auth/ssox/callback',
      '/api/user/me?next=/api/auth/sso/callback',
    ]) {
      expect(upstreamHeaders(incoming, extra(path)).cookie, path).toBeUndefined();
    }
  });

  it('is not sent where the caller names no path', () => {
    const { path: _path, ...withoutPath } = extra('/api/auth/sso/callback');
    expect(upstreamHeaders(incoming, withoutPath).cookie).toBeUndefined();
  });
});
