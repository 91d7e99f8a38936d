import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PRINCIPAL_HEADER } from '@gatehouse/contracts';
import { createPrincipalSigner } from '@gatehouse/service-kit';
import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { localPrincipalKeys } from '../../infra/local/keys.js';
import { ApiClient } from '../support/client.js';
import { createKey, signedInUser, uniqueEmail } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';
import { PORTS, root, type ScaleOutSystem, startScaleOut } from './system.js';

/**
 * `pnpm start --replicas 2` (issue #22, "a scale-out run on one machine"): two gateways and two
 * replicas of every service and of the console behind HAProxy, checked from outside only.
 * 1. The Quick Start, tenancy and OAuth suites run against HAProxy's front door (GATEHOUSE_TARGET_URL,
 *    test/support/stack.ts), in a vitest of their own.
 * 2. Membership changes made one right after another reach the project service's read model in order,
 *    as each project replica answers.
 * 3. Under a steady stream of project creates, one replica of each kind is SIGKILLed: every create that
 *    was answered 2xx can be read afterwards.
 */
/**
 * Every time budget below is for 2 idle cores (CI); SCALE_OUT_PATIENCE multiplies them all on a busy
 * machine (fifteen processes start at once here).
 */
const PATIENCE = Number(process.env.SCALE_OUT_PATIENCE ?? 1);
const budget = (ms: number) => ms * PATIENCE;
const READY_MS = budget(150_000);
let system: ScaleOutSystem;
/** The suite's view of the running system: its gateway URL and the mail it writes. */
let stack: Stack;

beforeAll(async () => {
  system = await startScaleOut(READY_MS, inject('consoleDistDir'));
  process.env.GATEHOUSE_TARGET_URL = system.url;
  process.env.GATEHOUSE_TARGET_MAIL_DIR = system.mailDir;
  stack = await startStack();
}, READY_MS + 30_000);
afterAll(async () => {
  await stack?.close();
  delete process.env.GATEHOUSE_TARGET_URL;
  await system?.stop();
}, budget(60_000));

/** The token in the newest mailed link of this kind to `email` (mail is sent after the answer, by the outbox). */
function mailedToken(email: string, path: string): Promise<string> {
  return eventually(async () => {
    const link = stack.smtp.linkTo(email, path);
    if (!link) throw new Error(`no mail with ${path} to ${email} yet`);
    return new URL(link).searchParams.get('token') ?? '';
  }, budget(30_000));
}

/** A user whose email is verified (only such accounts invite, change roles or accept invitations). */
async function verifiedUser(name: string) {
  const user = await signedInUser(stack, name, uniqueEmail(name.split(' ')[0]?.toLowerCase()));
  const token = await mailedToken(user.email, '/verify-email?token=');
  const verified = await user.client.get(`/api/auth/verify-email?token=${token}`);
  if (verified.status !== 200) throw new Error(`verification failed: ${JSON.stringify(verified.body)}`);
  return user;
}

describe('scale-out: the end-to-end suites through HAProxy', () => {
  it(
    'passes Quick Start, tenancy and OAuth against two replicas of everything',
    async () => {
      // What needs the in-process stack (a database handle, one more gateway) cannot run from outside.
      const inProcessOnly = [
        'limits login-form attempts per email across IPs',
        'stores only its hash',
        'removes the apps a user owns',
      ];
      const names = `^(?!.*(${inProcessOnly.join('|')}))(Quick Start|gateway: tenancy|OAuth 2\\.1)`;
      const resultsFile = join(root, '.data', `scale-out-e2e-${process.pid}.json`);
      await rm(resultsFile, { force: true });
      const childEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
      const child = spawn(
        process.execPath,
        [
          join(root, 'node_modules/vitest/vitest.mjs'),
          'run',
          '--config',
          'test/scale-out/e2e.config.ts',
          'test/e2e/quick-start.test.ts',
          'test/e2e/gateway.test.ts',
          'test/e2e/oauth.test.ts',
          '--testNamePattern',
          names,
          '--reporter=json',
          `--outputFile=${resultsFile}`,
        ],
        {
          cwd: root,
          env: { ...childEnv, SCALE_OUT_CONSOLE_DIST_DIR: inject('consoleDistDir') },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let errors = '';
      child.stderr?.on('data', (chunk) => {
        errors += chunk;
      });
      // Its own deadline, inside the test's: a child past it is stopped, never left running.
      const deadline = setTimeout(() => child.kill('SIGTERM'), budget(170_000));
      await new Promise((done) => child.once('exit', done));
      clearTimeout(deadline);
      const report = await readFile(resultsFile, 'utf8').catch(() => {
        throw new Error(`the suites wrote no report (stopped past their deadline?): ${errors.slice(-2000)}`);
      });
      const results = JSON.parse(report) as {
        numPassedTests: number;
        numFailedTests: number;
        testResults: Array<{
          name: string;
          assertionResults: Array<{ fullName: string; status: string; failureMessages: string[] }>;
        }>;
      };
      const failures = results.testResults.flatMap((file) =>
        file.assertionResults
          .filter((test) => test.status === 'failed')
          .map((test) => `${test.fullName}: ${test.failureMessages[0]?.split('\n')[0]}`),
      );
      expect(failures, errors.slice(-2000)).toEqual([]);
      const passed = (file: string) =>
        results.testResults
          .filter((result) => result.name.endsWith(file))
          .flatMap((result) => result.assertionResults)
          .filter((test) => test.status === 'passed').length;
      // Each suite ran, not just compiled: Quick Start's five steps, tenancy's three, OAuth's the rest.
      expect(passed('quick-start.test.ts')).toBe(5);
      expect(passed('gateway.test.ts')).toBe(3);
      expect(passed('oauth.test.ts')).toBeGreaterThanOrEqual(15);
    },
    budget(180_000),
  );
});

describe('scale-out: membership on both project replicas', () => {
  it(
    'applies membership changes made in quick succession in order, as both project replicas answer',
    async () => {
      const owner = await verifiedUser('Owner Example');
      const member = await verifiedUser('Member Example');
      const org = `/api/user/organizations/${owner.organizationId}`;
      // The owner's verification reaches the organization service's directory over NATS.
      const invite = await eventually(async () => {
        const res = await owner.client.post(`${org}/invites`, { email: member.email, role: 'member' });
        if (res.status !== 201 && res.status !== 200) throw new Error(`invite: ${JSON.stringify(res.body)}`);
        return res;
      }, budget(20_000));
      expect(invite.body.success).toBe(true);
      const token = await mailedToken(member.email, '/accept-invite?token=');
      const accepted = await eventually(async () => {
        const res = await member.client.post(`/api/user/invites/${token}/accept`);
        if (res.status !== 200) throw new Error(`accept: ${JSON.stringify(res.body)}`);
        return res;
      }, budget(20_000));
      const memberId: string = accepted.body.data.id;

      // Straight to each project replica, as the gateway would call it: what that replica's membership
      // check answers from decides between the organization's projects and a 404.
      const key = await createKey(member.client, { name: 'reader', scopes: ['projects:read'] });
      const signer = await createPrincipalSigner((await localPrincipalKeys(system.keysDir)).privateKeyPem);
      const principal = {
        kind: 'api_key' as const,
        userId: member.userId,
        credentialId: key.id,
        scopes: ['projects:read' as const],
        organizationId: null,
        role: 'user' as const,
      };
      const replicaAnswer = async (replica: number) => {
        const res = await fetch(
          `http://127.0.0.1:${PORTS.project + 100 * replica}/api/user/organizations/${owner.organizationId}/projects`,
          {
            headers: {
              [PRINCIPAL_HEADER]: await signer.sign({
                principal,
                clientIp: '127.0.0.1',
              }),
            },
          },
        );
        return res.status;
      };

      // One change right after another, each through HAProxy to whichever organization replica: the
      // events reach project in the order they were made, whichever project replica handles each.
      for (const role of ['admin', 'member', 'admin', 'member', 'admin'])
        expect((await owner.client.put(`${org}/members/${memberId}/role`, { role })).status).toBe(200);
      const members = await owner.client.get(`${org}/members`);
      expect(members.body.data.find((m: { id: string }) => m.id === memberId)).toMatchObject({ role: 'admin' });
      await eventually(async () => {
        expect(await replicaAnswer(1)).toBe(200);
        expect(await replicaAnswer(2)).toBe(200);
      }, budget(20_000));

      // Removed right after a role change: were the change applied after the removal, a row would be
      // back in the read model and the member would still see the organization's projects.
      expect((await owner.client.put(`${org}/members/${memberId}/role`, { role: 'member' })).status).toBe(200);
      expect((await owner.client.delete(`${org}/members/${memberId}`)).status).toBe(200);
      await eventually(async () => {
        expect(await replicaAnswer(1)).toBe(404);
        expect(await replicaAnswer(2)).toBe(404);
      }, budget(20_000));
      // And it stays that way: nothing older arrives late.
      await new Promise((r) => setTimeout(r, 1500));
      expect([await replicaAnswer(1), await replicaAnswer(2)]).toEqual([404, 404]);
    },
    budget(90_000),
  );
});

describe('scale-out: losing replicas', () => {
  it(
    'loses no acknowledged write when one replica of each kind is killed mid-run',
    async () => {
      const user = await signedInUser(stack, 'Writer Example');
      const key = await createKey(user.client, { name: 'writer', scopes: ['projects:read', 'projects:write'] });
      const api = new ApiClient(system.url, { 'X-Api-Key': key.key });
      const projects = `/api/user/organizations/${user.organizationId}/projects`;
      const acknowledged: Array<{ id: string; name: string; at: number }> = [];
      const failed: string[] = [];
      let writing = true;
      let sequence = 0;
      const writer = async () => {
        while (writing) {
          const name = `Kept ${++sequence}`;
          try {
            const res = await api.post(projects, { name });
            if (res.status === 201) acknowledged.push({ id: res.body.data.id, name, at: Date.now() });
            else failed.push(`${res.status} ${res.body?.code ?? ''}`);
          } catch (error) {
            failed.push(String(error));
          }
        }
      };
      const writers = Array.from({ length: 4 }, writer);
      await eventually(async () => expect(acknowledged.length).toBeGreaterThanOrEqual(20), budget(30_000), 100);

      const killedAt = Date.now();
      const victims = ['gateway-1', 'identity-1', 'organization-1', 'project-1', 'audit-1', 'billing-1', 'console-1'];
      for (const name of victims) process.kill(system.pids.get(name) as number, 'SIGKILL');
      // Writes keep being acknowledged by the survivors; start.ts starts the killed ones again.
      await eventually(
        async () => expect(acknowledged.filter((write) => write.at > killedAt + 500).length).toBeGreaterThanOrEqual(20),
        budget(30_000),
        100,
      );
      await Promise.all(victims.map((name) => system.restarted(name, killedAt)));
      writing = false;
      await Promise.all(writers);

      // A read may meet a replica still coming back (a 502/503, retried); a 404 or another name is a lost write.
      const read = (id: string) =>
        eventually(async () => {
          const res = await api.get(`${projects}/${id}`);
          if (res.status >= 500) throw new Error(`read answered ${res.status}`);
          return res;
        }, budget(20_000));
      const missing: string[] = [];
      for (const write of acknowledged) {
        const res = await read(write.id);
        if (res.status !== 200 || res.body.data.name !== write.name) missing.push(`${write.name}: ${res.status}`);
      }
      console.log(
        `scale-out kill test: ${acknowledged.length} creates acknowledged, ${failed.length} failed (${[...new Set(failed)].join(', ') || 'none'})`,
      );
      expect(missing).toEqual([]);
      // The list agrees: every acknowledged project is there (failed ones may be too: they may have committed).
      const listed = await api.get(`${projects}?limit=1`);
      expect(listed.body.meta.total).toBeGreaterThanOrEqual(acknowledged.length);
    },
    budget(120_000),
  );
});
