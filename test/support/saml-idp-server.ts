import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '@gatehouse/service-kit/testing';
import { type KeyPair, keyPair } from './saml-idp.js';

/**
 * saml-idp's own web server (its login page, its /signin, its auto-posting form) as a child
 * process on loopback: the IdP a person meets in a browser. Its audience is fixed at start, so it
 * serves one SP entity id; the ACS URL comes from each AuthnRequest.
 */
export class SamlIdpServer {
  readonly keys: KeyPair = keyPair('saml-idp login page');
  readonly entityId = 'urn:gatehouse-test:saml-idp';
  port = 0;
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'saml-idp-server-'));

  /** `host` is what the browser types: `localhost` makes the IdP another site than the gateway on 127.0.0.1. */
  constructor(private readonly host = 'localhost') {}

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get ssoUrl(): string {
    return `${this.url}/saml/sso`;
  }

  /** Picks the port first: the connection naming the IdP's SSO URL exists before the IdP starts. */
  async reservePort(): Promise<number> {
    this.port = await freePort();
    return this.port;
  }

  async start(audience: string): Promise<void> {
    if (!this.port) await this.reservePort();
    const cert = join(this.dir, 'cert.pem');
    const key = join(this.dir, 'key.pem');
    const config = join(this.dir, 'config.cjs');
    writeFileSync(cert, this.keys.cert);
    writeFileSync(key, this.keys.key);
    writeFileSync(config, CONFIG);
    const bin = join(dirname(createRequire(import.meta.url).resolve('saml-idp/package.json')), 'bin/run.js');
    const args = ['--host', '127.0.0.1', '--port', String(this.port), '--cert', cert, '--key', key];
    args.push('--issuer', this.entityId, '--audience', audience, '--acsUrl', `${audience}/unused`);
    args.push('--configFile', config);
    this.child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    for (let attempt = 0; attempt < 100; attempt++) {
      if (this.child.exitCode !== null) throw new Error(`saml-idp exited: ${stderr}`);
      if (
        await fetch(`http://127.0.0.1:${this.port}/metadata`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`saml-idp never answered: ${stderr}`);
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** saml-idp's attribute config: the profile its login page starts from (the test types over it). */
const CONFIG = `module.exports = {
  user: {
    userName: 'someone@example.invalid',
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    firstName: 'Sam', lastName: 'Browser', displayName: 'Sam Browser',
    email: 'someone@example.invalid', groups: 'everyone',
  },
  metadata: [
    { id: 'firstName', optional: false, displayName: 'First Name', multiValue: false },
    { id: 'lastName', optional: false, displayName: 'Last Name', multiValue: false },
    { id: 'displayName', optional: true, displayName: 'Display Name', multiValue: false },
    { id: 'email', optional: false, displayName: 'E-Mail Address', multiValue: false },
    { id: 'groups', optional: true, displayName: 'Groups', multiValue: true },
  ],
};
`;
