import { describe, expect, it } from 'vitest';
import { isInternalAddress, outboundUrlProblem } from '../src/sso/outbound-url.js';

describe('outbound IdP URLs (SSRF)', () => {
  it('refuses loopback, private, link-local, unique-local and CGNAT hosts with SSO_ALLOW_PRIVATE_IDP off', async () => {
    for (const url of [
      'http://127.0.0.1:9000/issuer',
      'https://127.0.0.1',
      'https://10.0.0.1',
      'https://172.16.5.4',
      'https://192.168.1.1',
      'https://100.64.0.1',
      'https://169.254.169.254/latest/meta-data',
      'https://0.0.0.0',
      'https://[::1]',
      'https://[fd00::1]',
      'https://[fe80::1]',
      'https://[::ffff:127.0.0.1]',
      'https://[::ffff:169.254.169.254]',
      // A name, refused on what it resolves to.
      'https://localhost',
      'http://localhost:9000',
    ]) {
      expect(await outboundUrlProblem(url, false), url).toMatch(/must not point to a loopback/);
    }
  });

  it('takes public https hosts, and refuses http off loopback even when private hosts are allowed', async () => {
    expect(await outboundUrlProblem('https://8.8.8.8/issuer', false)).toBeNull();
    expect(await outboundUrlProblem('https://[2001:4860:4860::8888]', false)).toBeNull();
    expect(await outboundUrlProblem('http://8.8.8.8', false)).toMatch(/https/);
    expect(await outboundUrlProblem('http://10.0.0.1', true)).toMatch(/https/);
    expect(await outboundUrlProblem('ftp://8.8.8.8', false)).toMatch(/https/);
    expect(await outboundUrlProblem('https://user:pw@8.8.8.8', false)).toMatch(/credentials/);
    expect(await outboundUrlProblem('https://no-such-host.invalid', false)).toMatch(/resolves/);
  });

  it('lets tests and local development reach a loopback IdP when allowed', async () => {
    expect(await outboundUrlProblem('http://127.0.0.1:9000', true)).toBeNull();
    expect(await outboundUrlProblem('http://localhost:9000', true)).toBeNull();
    expect(await outboundUrlProblem('https://10.0.0.1', true)).toBeNull();
  });

  it('classifies addresses, IPv4 and IPv6', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '100.127.255.255', '169.254.0.1', '::1', 'fc00::1', '::ffff:a00:1'])
      expect(isInternalAddress(address), address).toBe(true);
    for (const address of ['8.8.8.8', '100.128.0.1', '172.32.0.1', '2001:db8::1'])
      expect(isInternalAddress(address), address).toBe(false);
  });
});
