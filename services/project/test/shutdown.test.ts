import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrincipalSigner, dropDatabase } from '@gatehouse/service-kit';
import { freePort, generatePrincipalKeys, testNamespace } from '@gatehouse/service-kit/testing';
import { connect as connectNats } from 'nats';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

async function waitReady(url: string): Promise<void> {
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('service never became ready');
}

describe('graceful shutdown', () => {
  it('finishes a request in flight at SIGTERM, then exits 0', async () => {
    const ns = testNamespace();
    const keys = await generatePrincipalKeys();
    const port = await freePort();
    const databaseUrl = ns.databaseUrl('project');
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', join(root, 'services/project/src/main.ts')],
      {
        cwd: root,
        env: {
          ...process.env,
          PORT: String(port),
          DATABASE_URL: databaseUrl,
          NATS_SUBJECT_PREFIX: ns.subjectPrefix,
          EVENTS_STREAM: ns.stream,
          PRINCIPAL_PUBLIC_KEY: keys.publicKeyPem,
          LOG_LEVEL: 'silent',
        },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      // /readyz, not /healthz: a process that waits for its dependencies is alive before it is ready.
      await waitReady(`http://127.0.0.1:${port}/readyz`);
      const signer = await createPrincipalSigner(keys.privateKeyPem);
      const token = await signer.sign({
        principal: {
          kind: 'session',
          userId: '01HZ3K5R4X9Y2V6QF8TJ7W0CDN',
          credentialId: 's',
          scopes: [],
          organizationId: null,
          role: 'user',
        },
        clientIp: '127.0.0.1',
      });
      const body = JSON.stringify({ name: 'In flight' });
      const socket = connect(port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      let response = '';
      socket.on('data', (chunk) => {
        response += chunk;
      });
      // Headers and half the body: the request is in flight when the signal arrives.
      socket.write(
        `POST /api/user/organizations/01HZ3K5R4X9Y2V6QF8TJ7W0CDN/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\nx-gatehouse-principal: ${token}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
      );
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      socket.write(body.slice(5));
      await new Promise((r) => socket.once('close', r));
      // A full HTTP answer (the organization is unknown to this lone service, so 404 or 503), not a reset.
      expect(response).toMatch(/^HTTP\/1\.1 (404|503) /);
      expect(response).toContain('"success":false');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await dropDatabase(databaseUrl);
      const nc = await connectNats({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
      await (await nc.jetstreamManager()).streams.delete(ns.stream).catch(() => undefined);
      await nc.close();
    }
  }, 60_000);
});
