import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, ErrorCode, nkeys } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { natsConnectionOptions } from '../src/nats-auth.js';
import { PrivateServer } from '../src/testing.js';

const NATS_BIN = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

describe('natsConnectionOptions', () => {
  it('lifts user and password out of NATS_URL, so the servers it returns are safe to print', () => {
    const options = natsConnectionOptions({ url: 'nats://gateway:p%40ss:word@nats.internal:4222' }, 'gateway');
    expect(options).toMatchObject({
      servers: ['nats://nats.internal:4222'],
      user: 'gateway',
      pass: 'p@ss:word',
      name: 'gateway',
      inboxPrefix: '_INBOX.gateway',
    });
    expect(natsConnectionOptions({ url: 'nats://s3cret@a:4222, nats://s3cret@b:4222' }, 'x')).toMatchObject({
      servers: ['nats://a:4222', 'nats://b:4222'],
      token: 's3cret',
    });
  });

  it('asks for no authentication when nothing is set (the local server of `pnpm start`)', () => {
    const options = natsConnectionOptions({ url: 'nats://127.0.0.1:4222' }, 'project');
    expect(options.servers).toEqual(['nats://127.0.0.1:4222']);
    expect([options.user, options.pass, options.token, options.authenticator]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('refuses two ways of authenticating at once, and an unreadable creds file, naming the variable', () => {
    expect(() => natsConnectionOptions({ url: 'nats://u:p@h:4222', token: 't' }, 'x')).toThrow(ConfigError);
    expect(() => natsConnectionOptions({ url: 'nats://u:p@a:4222,nats://v:q@b:4222' }, 'x')).toThrow(/NATS_URL/);
    expect(() => natsConnectionOptions({ url: 'nats://h:4222', creds: '/nonexistent/x.creds' }, 'x')).toThrow(
      /NATS_CREDS cannot be read \(ENOENT\)/,
    );
  });
});

describe('a token (NATS_TOKEN or nats://token@host)', () => {
  const token = `t${randomBytes(16).toString('hex')}`;
  const server = new PrivateServer(
    NATS_BIN,
    (port) => ['-a', '127.0.0.1', '-p', String(port), '--auth', token],
    'nats',
  );
  beforeAll(() => server.start());
  afterAll(() => server.destroy());

  it('connects with the token and is refused without it', async () => {
    for (const auth of [{ url: server.url, token }, { url: `nats://${token}@127.0.0.1:${server.port}` }]) {
      const nc = await connect(natsConnectionOptions(auth, 'probe'));
      await nc.flush();
      await nc.close();
    }
    await expect(connect(natsConnectionOptions({ url: server.url }, 'probe'))).rejects.toMatchObject({
      code: ErrorCode.AuthorizationViolation,
    });
  });
});

/** The part of an nkeys.js key pair a JWT issuer uses (nats types `nkeys` as any). */
interface NKey {
  getPublicKey(): string;
  sign(data: Uint8Array): Uint8Array;
}

/** A NATS JWT, as nsc would issue it: claims signed with the issuer's nkey. */
function jwt(issuer: NKey, subject: string, name: string, nats: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = {
    jti: randomBytes(16).toString('hex').toUpperCase(),
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  const unsigned = `${encode({ typ: 'JWT', alg: 'ed25519-nkey' })}.${encode(claims)}`;
  return `${unsigned}.${Buffer.from(issuer.sign(Buffer.from(unsigned))).toString('base64url')}`;
}

describe('a creds file (NATS_CREDS: user JWT + nkey seed, operator mode)', () => {
  const unlimited = { subs: -1, data: -1, payload: -1 };
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const user = nkeys.createUser();
  const server = new PrivateServer(
    NATS_BIN,
    (port, dir) => ['-c', join(dir, 'operator.conf'), '-a', '127.0.0.1', '-p', String(port)],
    'nats',
  );
  const credsPath = join(server.dataDir, 'gateway.creds');

  beforeAll(async () => {
    const accountJwt = jwt(operator, account.getPublicKey(), 'GATEHOUSE', {
      type: 'account',
      limits: { ...unlimited, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
    });
    writeFileSync(
      join(server.dataDir, 'operator.conf'),
      [
        `operator: ${jwt(operator, operator.getPublicKey(), 'OP', { type: 'operator' })}`,
        'resolver: MEMORY',
        `resolver_preload: { ${account.getPublicKey()}: ${accountJwt} }`,
      ].join('\n'),
    );
    const userJwt = jwt(account, user.getPublicKey(), 'gateway', { type: 'user', pub: {}, sub: {}, ...unlimited });
    writeFileSync(
      credsPath,
      `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n` +
        `-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(user.getSeed())}\n------END USER NKEY SEED------\n`,
    );
    await server.start();
  });
  afterAll(() => server.destroy());

  it('connects with the creds file and is refused without it', async () => {
    const nc = await connect(natsConnectionOptions({ url: server.url, creds: credsPath }, 'gateway'));
    await nc.flush();
    await nc.close();
    await expect(connect(natsConnectionOptions({ url: server.url }, 'gateway'))).rejects.toMatchObject({
      code: ErrorCode.AuthorizationViolation,
    });
  });
});
