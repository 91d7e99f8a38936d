import { randomBytes } from 'node:crypto';
import { SCIM_SCHEMAS } from '@gatehouse/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oktaCreateUser, oktaSetActive } from '../fixtures/scim/okta.js';
import { ApiClient } from '../support/client.js';
import type { TestDnsServer } from '../support/dns-server.js';
import { createKey, keyClient, PASSWORD, verifiedUser } from '../support/flows.js';
import {
  authorizationRequest,
  clientFor,
  completeAuthorization,
  exchangeCode,
  FormBrowser,
  registerApp,
} from '../support/oauth.js';
import {
  eventuallyMember,
  expectScimList,
  expectScimUser,
  type ScimDirectory,
  type ScimStack,
  scimClient,
  scimDirectory,
  signInProvisioned,
  startScimStack,
} from '../support/scim.js';
import type { Stack } from '../support/stack.js';

/**
 * Issue #18, the leaver: `active: false` ends a member's session, their PAT pinned to the organization
 * and their OAuth access token within 1 s on every gateway replica. And the SCIM token itself: rotation
 * with overlap, revocation at once on every replica, and it reaches /scim/v2 only.
 */
let scim: ScimStack;
let stack: Stack;
let dns: TestDnsServer;
let owner: ScimStack['owner'];
let directory: ScimDirectory;
let replicas: string[];
/** The token before the last rotation, still live during its overlap. */
let previousToken: string;

/** The budget the issue sets, measured from the moment the deprovisioning request is sent. */
const WITHIN_MS = 1000;

beforeAll(async () => {
  scim = await startScimStack();
  ({ stack, dns, owner } = scim);
  const second = await stack.addGateway();
  replicas = [stack.urls.gateway, second.url];
  directory = await scimDirectory(owner, dns, { name: 'Okta' });
}, 120_000);
afterAll(async () => {
  await scim?.close();
});

/**
 * Polls every check until all are true or the deadline passes (never sleep-then-assert); answers
 * how long it took and which still failed.
 */
async function allWithin(since: number, checks: Array<[string, () => Promise<boolean>]>) {
  let pending = checks;
  while (pending.length > 0 && Date.now() - since <= WITHIN_MS) {
    const results = await Promise.all(pending.map(async ([, check]) => check()));
    pending = pending.filter((_, index) => !results[index]);
  }
  // One last look, so a slow round at the edge does not hide that it was already done.
  const results = await Promise.all(pending.map(async ([, check]) => check()));
  const late = pending.filter((_, index) => !results[index]).map(([name]) => name);
  return { elapsed: Date.now() - since, late };
}

describe('deprovisioning', () => {
  it('ends the session, the pinned PAT and the OAuth token on both replicas within 1 s', async () => {
    const okta = scimClient(stack, directory.token);
    const email = `leaver.${randomBytes(3).toString('hex')}@${directory.domain}`;
    const created = expectScimUser(
      await okta.post(
        'Users',
        oktaCreateUser({ userName: email, givenName: 'Lee', familyName: 'Ver', externalId: '00uleaver' }),
      ),
      201,
    );
    await eventuallyMember(owner, email, 'member');

    const session = await signInProvisioned(stack, email);
    const pat = await createKey(session.client, {
      name: 'pinned',
      scopes: ['organizations:read'],
      metadata: { organizationId: owner.organizationId },
    });
    const app = await registerApp(session.client, { scopes: ['organizations:read'] });
    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, 'organizations:read', { prompt: 'consent' });
    const { callback } = await completeAuthorization(new FormBrowser(), attempt, app, {
      email,
      password: session.password,
    });
    const { access_token: accessToken } = await exchangeCode(config, attempt, callback);

    const organization = `/api/user/organizations/${owner.organizationId}`;
    const credentials = (url: string): Array<[string, ApiClient]> => [
      ['session', new ApiClient(url, { cookie: session.client.cookieHeader() })],
      ['pinned PAT', keyClient(stack, pat.key, url)],
      ['OAuth token', new ApiClient(url, { authorization: `Bearer ${accessToken}` })],
    ];
    const every = replicas.flatMap((url, replica) =>
      credentials(url).map(([name, client]) => [`${name} on replica ${replica + 1}`, client] as const),
    );
    // Everything works, on both replicas, and is cached there.
    for (const [name, client] of every) {
      const answer = await client.get(organization);
      expect(answer.status, `${name}: ${JSON.stringify(answer.body)}`).toBe(200);
    }

    const sent = Date.now();
    expectScimUser(await okta.patch(`Users/${created.id}`, oktaSetActive(false)));
    const { elapsed, late } = await allWithin(
      sent,
      every.map(([name, client]) => [name, async () => (await client.get(organization)).status !== 200]),
    );
    expect(late, `still working ${elapsed} ms after the PATCH`).toEqual([]);
    expect(elapsed).toBeLessThanOrEqual(WITHIN_MS + 250);
    // And they stay refused (the account is deactivated: 401 USER_NOT_ACTIVE or a revoked credential).
    for (const [name, client] of every) {
      const answer = await client.get(organization);
      expect([401, 403, 404], `${name}: ${JSON.stringify(answer.body)}`).toContain(answer.status);
    }
    await eventuallyMember(owner, email, null);
  });
});

describe('deprovisioning a linked account', () => {
  it('ends what is the organization’s within 1 s on both replicas, and leaves the account its own', async () => {
    const okta = scimClient(stack, directory.token);
    const email = `linked.${randomBytes(3).toString('hex')}@${directory.domain}`;
    const person = await verifiedUser(stack, 'Lin Ked', email);
    const created = expectScimUser(
      await okta.post(
        'Users',
        oktaCreateUser({ userName: email, givenName: 'Lin', familyName: 'Ked', externalId: '00ulinked' }),
      ),
      201,
    );
    await eventuallyMember(owner, email, 'member');
    const scopes = ['organizations:read', 'user:read'];
    const pinned = await createKey(person.client, {
      name: 'pinned',
      scopes,
      metadata: { organizationId: owner.organizationId },
    });
    const unpinned = await createKey(person.client, { name: 'mine', scopes });
    const app = await registerApp(person.client, { scopes });
    const config = await clientFor(stack, app);
    const attempt = await authorizationRequest(config, app, scopes.join(' '), { prompt: 'consent' });
    const { callback } = await completeAuthorization(new FormBrowser(), attempt, app, { email, password: PASSWORD });
    const { access_token: accessToken } = await exchangeCode(config, attempt, callback);

    const organization = `/api/user/organizations/${owner.organizationId}`;
    const on = (url: string) => ({
      session: new ApiClient(url, { cookie: person.client.cookieHeader() }),
      pinned: keyClient(stack, pinned.key, url),
      unpinned: keyClient(stack, unpinned.key, url),
      oauth: new ApiClient(url, { authorization: `Bearer ${accessToken}` }),
    });
    for (const url of replicas)
      for (const [name, client] of Object.entries(on(url))) {
        const answer = await client.get(organization);
        expect(answer.status, `${name}: ${JSON.stringify(answer.body)}`).toBe(200);
      }

    const sent = Date.now();
    expectScimUser(await okta.patch(`Users/${created.id}`, oktaSetActive(false)));
    const refused = (client: ApiClient, path: string) => async () => (await client.get(path)).status !== 200;
    const { elapsed, late } = await allWithin(
      sent,
      replicas.flatMap((url, replica) => {
        const clients = on(url);
        return [
          ...Object.entries(clients).map(
            ([name, client]) =>
              [`${name} on the organization, replica ${replica + 1}`, refused(client, organization)] as [
                string,
                () => Promise<boolean>,
              ],
          ),
          // The pinned key is revoked outright, not only kept out of the organization.
          [`pinned PAT on /me, replica ${replica + 1}`, refused(clients.pinned, '/api/user/me')] as [
            string,
            () => Promise<boolean>,
          ],
        ];
      }),
    );
    expect(late, `still working ${elapsed} ms after the PATCH`).toEqual([]);
    // The account is the person's: their session and their own key still work for them.
    for (const url of replicas) {
      const clients = on(url);
      expect((await clients.session.get('/api/user/me')).status).toBe(200);
      expect((await clients.unpinned.get('/api/user/me')).status).toBe(200);
    }
    await eventuallyMember(owner, email, null);
  });
});

describe('the SCIM token', () => {
  const listUsers = async (token: string, url: string) =>
    (await scimClient(stack, token, { baseUrl: url }).get('Users?count=1')).status;

  it('keeps the previous token working during the overlap after a rotation', async () => {
    const rotated = await owner.client.post(`${directory.base}/${directory.directory.id}/rotate-token`, {
      overlapSeconds: 3600,
    });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const fresh = rotated.body.data.token as string;
    expect(fresh).not.toBe(directory.token);
    expect(rotated.body.data.directory.previousTokenExpiresAt).not.toBeNull();
    for (const url of replicas) {
      expect(await listUsers(directory.token, url)).toBe(200);
      expect(await listUsers(fresh, url)).toBe(200);
    }
    previousToken = directory.token;
    directory = { ...directory, token: fresh };
  });

  it('stops every token at once on both replicas when revoked', async () => {
    const tokens = [directory.token, previousToken];
    for (const url of replicas) for (const token of tokens) expect(await listUsers(token, url)).toBe(200);
    const sent = Date.now();
    const revoked = await owner.client.post(`${directory.base}/${directory.directory.id}/revoke-tokens`);
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body.data.tokenStart).toBeNull();
    const { elapsed, late } = await allWithin(
      sent,
      replicas.flatMap((url, replica) =>
        tokens.map(
          (token, index) =>
            [`token ${index + 1} on replica ${replica + 1}`, async () => (await listUsers(token, url)) === 401] as [
              string,
              () => Promise<boolean>,
            ],
        ),
      ),
    );
    expect(late, `still working ${elapsed} ms after the revocation`).toEqual([]);
    // A new token brings sync back.
    const rotated = await owner.client.post(`${directory.base}/${directory.directory.id}/rotate-token`, {});
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    directory = { ...directory, token: rotated.body.data.token };
    expect(await listUsers(directory.token, replicas[1]!)).toBe(200);
  });

  it('reaches /scim/v2 only: a SCIM token is refused on /api routes', async () => {
    const bearer = new ApiClient(stack.urls.gateway, { authorization: `Bearer ${directory.token}` });
    for (const path of ['/api/user/me', `/api/user/organizations/${owner.organizationId}/members`, directory.base]) {
      const answer = await bearer.get(path);
      expect([401, 403], `${path}: ${JSON.stringify(answer.body)}`).toContain(answer.status);
    }
  });

  it('a PAT, even the owner’s, and a session cannot call /scim/v2', async () => {
    const key = await createKey(owner.client, {
      name: 'not for scim',
      scopes: ['organizations:read', 'organizations:write'],
      metadata: { organizationId: owner.organizationId },
    });
    const refusals = [
      await keyClient(stack, key.key).get('/scim/v2/Users'),
      await new ApiClient(stack.urls.gateway, { authorization: `Bearer ${key.key}` }).get('/scim/v2/Users'),
      await owner.client.get('/scim/v2/Users'),
      await new ApiClient(stack.urls.gateway).get('/scim/v2/Users'),
    ];
    for (const answer of refusals) {
      expect([401, 403], JSON.stringify(answer.body)).toContain(answer.status);
      // /scim/v2 errors are SCIM's, whoever answers them (the contract says so, and SCIM clients parse that).
      expect(answer.body?.schemas, JSON.stringify(answer.body)).toEqual([SCIM_SCHEMAS.error]);
    }
  });

  it('sees only its own organization’s directory', async () => {
    const okta = scimClient(stack, directory.token);
    const email = `mine.${randomBytes(3).toString('hex')}@${directory.domain}`;
    const mine = expectScimUser(
      await okta.post(
        'Users',
        oktaCreateUser({ userName: email, givenName: 'Mi', familyName: 'Ne', externalId: '00umine' }),
      ),
      201,
    );
    const otherOwner = await verifiedUser(stack, 'Other Owner');
    const other = await scimDirectory(otherOwner, dns, { name: 'Elsewhere' });
    const theirs = scimClient(stack, other.token);
    expect((await theirs.get(`Users/${mine.id}`)).status).toBe(404);
    expect(
      expectScimList(await theirs.get(`Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).totalResults,
    ).toBe(0);
    expect((await theirs.patch(`Users/${mine.id}`, oktaSetActive(false))).status).toBe(404);
    // Nor may it provision into our domain.
    expect(
      (
        await theirs.post(
          'Users',
          oktaCreateUser({ userName: `x.${email}`, givenName: 'X', familyName: 'Y', externalId: '00ux' }),
        )
      ).status,
    ).toBe(400);
  });
});
