import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { idpDispatcher, isInternalAddress, outboundUrlProblem, pinnedLookup } from '../src/sso/outbound-url.js';

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

describe('the connection-time check (DNS rebinding)', () => {
  type Answer = { address: string; family: number }[];
  /** A resolver that answers what a rebinding name would at connect time. */
  const answering =
    (addresses: Answer) =>
    (_host: string, _options: unknown, callback: (error: Error | null, addresses: Answer) => void) =>
      callback(null, addresses);

  it('refuses a name that resolves inside when the connection is made, and passes a public one', async () => {
    const lookupWith = (addresses: Answer) =>
      new Promise<{ error: Error | null; address: unknown }>((resolve) =>
        pinnedLookup(false, answering(addresses) as never)('idp.example', { all: true }, (error, address) =>
          resolve({ error, address }),
        ),
      );
    const inside = await lookupWith([{ address: '10.0.0.7', family: 4 }]);
    expect((inside.error as { code?: string } | null)?.code).toBe('EREFUSEDINTERNAL');
    const mixed = await lookupWith([
      { address: '8.8.8.8', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ]);
    expect((mixed.error as { code?: string } | null)?.code).toBe('EREFUSEDINTERNAL');
    const outside = await lookupWith([{ address: '8.8.8.8', family: 4 }]);
    expect(outside.error).toBeNull();
    expect(outside.address).toEqual([{ address: '8.8.8.8', family: 4 }]);
  });

  it('is the look-up fetch really connects with: a loopback server is unreachable unless private IdPs are allowed', async () => {
    const server = createServer((_request, response) => response.end('{}')).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://localhost:${(server.address() as AddressInfo).port}/`;
    try {
      const allowed = await fetch(url, { dispatcher: idpDispatcher(true) } as RequestInit);
      expect(allowed.status).toBe(200);
      const refused = await fetch(url, { dispatcher: idpDispatcher(false) } as RequestInit).catch((error) => error);
      expect((refused as { cause?: { code?: string } }).cause?.code).toBe('EREFUSEDINTERNAL');
    } finally {
      server.close();
    }
  });
});
