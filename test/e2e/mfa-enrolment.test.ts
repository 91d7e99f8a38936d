import { createHash, randomBytes } from 'node:crypto';
import { newId } from '@gatehouse/contracts';
import { Keyring } from '@gatehouse/service-kit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, type Json } from '../support/client.js';
import { launchBrowser } from '../support/console.js';
import { createKey, keyClient, signedInUser } from '../support/flows.js';
import { ageSecondFactor, currentSession, GENEROUS_LIMITS, identitySql, sessionRow } from '../support/mfa.js';
import { registerApp } from '../support/oauth.js';
import { type Stack, startStack } from '../support/stack.js';
import { totpCode, totpCodeAt } from '../support/totp.js';
import {
  addVirtualAuthenticator,
  createCredential,
  getAssertion,
  type VirtualAuthenticator,
} from '../support/webauthn.js';

/**
 * Issue #17: an account's own second factors — authenticator app, recovery codes, passkeys — through the
 * gateway: enrolment, the codes shown once, step-up before removing a factor, the secret sealed at rest,
 * a notice mail and `user.security_changed` for each change, the export, and who may call these routes.
 */
const CHROME_ON_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const RECOVERY_CODE = /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}(-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{4}){3}$/;

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ ...GENEROUS_LIMITS, RATE_LIMIT_IP_MAX: '100000' }, {}, { publicHost: 'localhost' });
});
afterAll(async () => {
  await stack?.close();
});

const sql = (query: string, params?: unknown[]) => identitySql(stack, query, params);

/** How long a proven second factor lets a session make sensitive changes (MFA_STEP_UP_SECONDS). */
const stepUpSeconds = () => stack.identity.deps.config.MFA_STEP_UP_SECONDS;

/** The subjects of the notice mails this address received. */
function subjectsTo(email: string): string[] {
  return stack.smtp.received
    .filter((mail) => mail.to.includes(email))
    .map((mail) => mail.raw.match(/^Subject: (.*)$/m)?.[1]?.trim() ?? '');
}

async function securityChanges(userId: string): Promise<Json[]> {
  const rows = await sql(`select payload from outbox_events where subject like ? order by created_at, id`, [
    '%identity.user.security_changed',
  ]);
  return rows.map((row) => row.payload.data).filter((data) => data.userId === userId);
}

function bearer(token: string): ApiClient {
  return new ApiClient(stack.urls.gateway, { Authorization: `Bearer ${token}` });
}

/** An app's own access token (client credentials), asked of the token endpoint directly. */
async function clientCredentialsToken(clientId: string, clientSecret: string, scope: string): Promise<string> {
  const response = await fetch(`${stack.urls.gateway}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  const body = (await response.json()) as Json;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.access_token;
}

/**
 * Answers a step-up challenge with an authenticator code: the session may make sensitive changes again.
 * The code is the next step's (accepted, ±1): the current step's may already be spent by confirming.
 */
async function stepUpWithTotp(client: ApiClient, secret: string): Promise<void> {
  const challenge = await client.post('/api/user/mfa/step-up', {});
  expect(challenge.status, JSON.stringify(challenge.body)).toBe(200);
  const verified = await client.post('/api/auth/mfa/verify', {
    challengeId: challenge.body.data.challengeId,
    type: 'totp',
    code: totpCodeAt(secret, 1),
  });
  expect(verified.status, JSON.stringify(verified.body)).toBe(200);
}

describe('authenticator app and recovery codes', () => {
  it('enrols with a code from the app, answers 10 codes once, voids them on regeneration, and steps up to remove it', async () => {
    const user = await signedInUser(stack, 'Tess Totp');
    const before = await user.client.get('/api/user/mfa');
    expect(before.status).toBe(200);
    expect(before.body.data).toEqual({
      enabled: false,
      factors: [],
      totp: { confirmedAt: null },
      passkeyCount: 0,
      recoveryCodesLeft: 0,
    });

    // Confirming with nothing pending is NOT_FOUND.
    const early = await user.client.post('/api/user/mfa/totp/confirm', { code: '123456' });
    expect(early.status).toBe(404);

    const enrolled = await user.client.post('/api/user/mfa/totp/enroll', {});
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
    const { secret, otpauthUri, qrCodeDataUrl } = enrolled.body.data;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(`/Gatehouse:${user.email}`);
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Gatehouse');
    expect(qrCodeDataUrl).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);

    // Starting again replaces the pending secret: only the newest one confirms.
    const again = await user.client.post('/api/user/mfa/totp/enroll', {});
    expect(again.status).toBe(200);
    const newest: string = again.body.data.secret;
    expect(newest).not.toBe(secret);

    // The secret at rest is sealed: not the secret, and it opens with the keyring for this row only.
    const [stored] = await sql('select secret_sealed, confirmed_at from mfa_totp where user_id = ?', [user.userId]);
    expect(stored.confirmed_at).toBeNull();
    expect(stored.secret_sealed).not.toContain(newest);
    expect(stored.secret_sealed).toMatch(/^v2\.k1\./);
    const keyring = Keyring.parse(stack.identity.deps.config.MFA_ENCRYPTION_KEY);
    expect(keyring.open(stored.secret_sealed, `mfa_totp:${user.userId}`)).toBe(newest);
    expect(() => keyring.open(stored.secret_sealed, 'mfa_totp:01SOMEONEELSE')).toThrow();

    // Wrong codes are refused and change nothing: a random one, and a right code of the replaced secret.
    for (const code of ['000000', totpCode(secret)]) {
      if (code === totpCode(newest)) continue;
      const wrong = await user.client.post('/api/user/mfa/totp/confirm', { code });
      expect(wrong.status).toBe(401);
      expect(wrong.body.code).toBe('INVALID_CREDENTIALS');
    }
    const malformed = await user.client.post('/api/user/mfa/totp/confirm', { code: '12345' });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body)).toContain('code');
    expect((await user.client.get('/api/user/mfa')).body.data.enabled).toBe(false);

    const confirmed = await user.client.post('/api/user/mfa/totp/confirm', { code: totpCode(newest) });
    expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
    const codes: string[] = confirmed.body.data.recoveryCodes;
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(code).toMatch(RECOVERY_CODE);
    expect(new Set(codes).size).toBe(10);

    // Only SHA-256 of each code is kept; the confirming code's step is spent (no replay at sign-in).
    const hashes = (await sql('select code_hash from mfa_recovery_codes where user_id = ?', [user.userId])).map(
      (row) => row.code_hash,
    );
    expect(hashes.sort()).toEqual(
      codes.map((code) => createHash('sha256').update(code.replace(/-/g, '')).digest('hex')).sort(),
    );
    const [spent] = await sql('select confirmed_at, last_used_step from mfa_totp where user_id = ?', [user.userId]);
    expect(spent.confirmed_at).not.toBeNull();
    expect(Math.abs(Number(spent.last_used_step) - Math.floor(Date.now() / 30_000))).toBeLessThanOrEqual(1);

    // The enrolling session just proved the factor.
    const session = await sessionRow(stack, (await currentSession(user.client)).id);
    expect(session.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(Date.now() - new Date(session.second_factor_at ?? 0).getTime()).toBeLessThan(10_000);

    // A second app, or confirming again, is a conflict (the session is fresh, so no step-up is asked).
    expect((await user.client.post('/api/user/mfa/totp/enroll', {})).status).toBe(409);
    expect((await user.client.post('/api/user/mfa/totp/confirm', { code: totpCode(newest) })).status).toBe(409);

    const status = await user.client.get('/api/user/mfa');
    expect(status.body.data).toMatchObject({
      enabled: true,
      factors: ['totp', 'recovery_code'],
      passkeyCount: 0,
      recoveryCodesLeft: 10,
    });
    expect(Date.parse(status.body.data.totp.confirmedAt)).not.toBeNaN();

    // Regeneration voids the old codes: none of their hashes is left, ten new ones are.
    const regenerated = await user.client.post('/api/user/mfa/recovery-codes', {});
    expect(regenerated.status, JSON.stringify(regenerated.body)).toBe(200);
    const fresh: string[] = regenerated.body.data.recoveryCodes;
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((code) => codes.includes(code))).toEqual([]);
    const after = (await sql('select code_hash, used_at from mfa_recovery_codes where user_id = ?', [user.userId])).map(
      (row) => row.code_hash,
    );
    expect(after).toHaveLength(10);
    expect(after.filter((hash) => hashes.includes(hash))).toEqual([]);

    // The export shows what there is, never the secret or a hash.
    const exported = await user.client.get('/api/user/me/export');
    expect(exported.status).toBe(200);
    expect(exported.body.data.mfa).toEqual({
      totp: { confirmedAt: status.body.data.totp.confirmedAt },
      passkeys: [],
      recoveryCodesLeft: 10,
    });
    const text = JSON.stringify(exported.body);
    for (const hidden of [newest, stored.secret_sealed, ...after, ...fresh]) expect(text).not.toContain(hidden);

    // Once the session's second factor is stale, removing the app (and new codes) needs a step-up.
    await ageSecondFactor(stack, { userId: user.userId });
    for (const [method, path] of [
      ['DELETE', '/api/user/mfa/totp'],
      ['POST', '/api/user/mfa/recovery-codes'],
    ] as const) {
      const refused = await user.client.request(method, path, method === 'POST' ? { json: {} } : {});
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('MFA_REQUIRED');
      expect(refused.body.meta).toMatchObject({
        reason: 'step_up',
        factors: ['totp', 'recovery_code'],
        stepUpUrl: '/api/user/mfa/step-up',
        maxAgeSeconds: stepUpSeconds(),
      });
    }
    expect((await sql('select 1 from mfa_totp where user_id = ?', [user.userId])).length).toBe(1);

    await stepUpWithTotp(user.client, newest);
    const removed = await user.client.delete('/api/user/mfa/totp');
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect((await user.client.get('/api/user/mfa')).body.data).toMatchObject({
      enabled: false,
      factors: [],
      recoveryCodesLeft: 0,
    });
    // It was the last factor: the recovery codes went with it.
    expect(await sql('select 1 from mfa_recovery_codes where user_id = ?', [user.userId])).toEqual([]);
    expect((await user.client.delete('/api/user/mfa/totp')).status).toBe(404);
    expect((await user.client.post('/api/user/mfa/recovery-codes', {})).status).toBe(404);

    // A notice for each change, and an event the gateways purge this user's cached credentials on.
    await expect
      .poll(() => subjectsTo(user.email), { timeout: 10_000 })
      .toEqual(
        expect.arrayContaining(['Authenticator app turned on', 'New recovery codes', 'Authenticator app removed']),
      );
    const changes = await securityChanges(user.userId);
    expect(changes.map((change) => change.change)).toEqual(
      expect.arrayContaining(['totp_enabled', 'recovery_codes_regenerated', 'totp_removed']),
    );
    expect(changes.find((change) => change.change === 'totp_enabled')).toMatchObject({
      mfaEnabled: true,
      factors: ['totp', 'recovery_code'],
    });
    expect(changes.find((change) => change.change === 'totp_removed')).toMatchObject({
      mfaEnabled: false,
      factors: [],
    });
  }, 120_000);

  it('lets only the person in a session change factors: a PAT may read the status, an OAuth token nothing', async () => {
    const user = await signedInUser(stack, 'Pat Token');
    const key = await createKey(user.client, { name: 'everything', scopes: ['user:read', 'user:write'] });
    const app = await registerApp(user.client, { type: 'confidential', scopes: ['user:read', 'user:write'] });
    const token = bearer(await clientCredentialsToken(app.id, app.clientSecret ?? '', 'user:read user:write'));
    const pat = keyClient(stack, key.key);

    const writes: Array<[string, string, unknown]> = [
      ['POST', '/api/user/mfa/totp/enroll', {}],
      ['POST', '/api/user/mfa/totp/confirm', { code: '123456' }],
      ['DELETE', '/api/user/mfa/totp', undefined],
      ['POST', '/api/user/mfa/passkeys/register/options', {}],
      ['POST', '/api/user/mfa/recovery-codes', {}],
      ['DELETE', '/api/user/mfa/passkeys/01ARZ3NDEKTSV4RRFFQ69G5FAV', undefined],
    ];
    for (const client of [pat, token]) {
      for (const [method, path, json] of writes) {
        const refused = await client.request(method, path, json === undefined ? {} : { json });
        expect(refused.status, `${method} ${path}`).toBe(403);
      }
    }
    expect(await sql('select 1 from mfa_totp where user_id = ?', [user.userId])).toEqual([]);
    expect((await pat.get('/api/user/mfa')).status).toBe(200);
    expect((await pat.get('/api/user/mfa/passkeys')).status).toBe(200);
    expect((await token.get('/api/user/mfa')).status).toBe(403);
  });
});

describe('passkeys in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let authenticator: VirtualAuthenticator;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage();
    // WebAuthn runs on the relying party's origin: the stack's public URL (its host is localhost, not the IP).
    await page.goto(stack.urls.gateway);
    authenticator = await addVirtualAuthenticator(page);
  });
  afterAll(async () => {
    await authenticator?.remove();
    await browser?.close();
  });

  async function registrationOptions(client: ApiClient) {
    const started = await client.post('/api/user/mfa/passkeys/register/options', {});
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    return started.body.data as { ceremonyId: string; options: Json };
  }

  it('registers, lists, renames and — after a step-up with the passkey — removes a passkey', async () => {
    const user = await signedInUser(stack, 'Pia Passkey');
    const { ceremonyId, options } = await registrationOptions(user.client);
    expect(ceremonyId).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9]{20,64}$/);
    expect(options).toMatchObject({
      rp: { id: 'localhost', name: 'Gatehouse' },
      user: { id: Buffer.from(user.userId, 'utf8').toString('base64url'), name: user.email },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      excludeCredentials: [],
    });

    const credential = await createCredential(page, options);
    const added = await user.client.post(
      '/api/user/mfa/passkeys/register/verify',
      { ceremonyId, credential },
      { 'user-agent': CHROME_ON_LINUX },
    );
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const passkey = added.body.data.passkey;
    expect(passkey).toMatchObject({
      name: 'Passkey (Chrome on Linux)',
      deviceType: expect.stringMatching(/^(singleDevice|multiDevice)$/),
      backedUp: expect.any(Boolean),
      lastUsedAt: null,
    });
    expect(added.body.data.recoveryCodes).toHaveLength(10);
    const [stored] = await sql('select credential_id, user_id from mfa_passkeys where id = ?', [passkey.id]);
    expect(stored).toEqual({ credential_id: credential.id, user_id: user.userId });

    // The ceremony is spent: the same attestation cannot be sent twice.
    const replayed = await user.client.post('/api/user/mfa/passkeys/register/verify', { ceremonyId, credential });
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');

    // The enrolling session proved a passkey.
    const session = await sessionRow(stack, (await currentSession(user.client)).id);
    expect(session.amr).toEqual(['pwd', passkey.deviceType === 'multiDevice' ? 'swk' : 'hwk', 'mfa']);

    const listed = await user.client.get('/api/user/mfa/passkeys');
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual([passkey]);
    expect(listed.body.meta.total).toBe(1);

    // A second registration (still fresh) excludes the passkey the account has.
    const second = await registrationOptions(user.client);
    expect(second.options.excludeCredentials).toEqual([expect.objectContaining({ id: credential.id })]);

    const renamed = await user.client.request('PATCH', `/api/user/mfa/passkeys/${passkey.id}`, {
      json: { name: '  Work laptop ' },
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.data.name).toBe('Work laptop');
    for (const name of ['', '   ', 'x'.repeat(101)]) {
      const refused = await user.client.request('PATCH', `/api/user/mfa/passkeys/${passkey.id}`, { json: { name } });
      expect(refused.status, JSON.stringify(name)).toBe(400);
    }
    const unknown = await user.client.request('PATCH', '/api/user/mfa/passkeys/01ARZ3NDEKTSV4RRFFQ69G5FAV', {
      json: { name: 'nope' },
    });
    expect(unknown.status).toBe(404);

    await ageSecondFactor(stack, { userId: user.userId });
    const refused = await user.client.delete(`/api/user/mfa/passkeys/${passkey.id}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'MFA_REQUIRED', meta: { reason: 'step_up' } });
    // Adding another factor next to this one needs the step-up too.
    expect((await user.client.post('/api/user/mfa/passkeys/register/options', {})).status).toBe(403);

    const challenge = await user.client.post('/api/user/mfa/step-up', {});
    expect(challenge.status, JSON.stringify(challenge.body)).toBe(200);
    expect(challenge.body.data.factors).toContain('passkey');
    const assertion = await getAssertion(page, challenge.body.data.passkeyOptions);
    const stepped = await user.client.post('/api/auth/mfa/verify', {
      challengeId: challenge.body.data.challengeId,
      type: 'passkey',
      credential: assertion,
    });
    expect(stepped.status, JSON.stringify(stepped.body)).toBe(200);

    const deleted = await user.client.delete(`/api/user/mfa/passkeys/${passkey.id}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect((await user.client.get('/api/user/mfa/passkeys')).body.data).toEqual([]);
    expect(await sql('select 1 from mfa_recovery_codes where user_id = ?', [user.userId])).toEqual([]);
    expect((await user.client.delete(`/api/user/mfa/passkeys/${passkey.id}`)).status).toBe(404);

    await expect
      .poll(() => subjectsTo(user.email), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['Passkey added', 'Passkey removed']));
    expect((await securityChanges(user.userId)).map((change) => change.change)).toEqual(
      expect.arrayContaining(['passkey_added', 'passkey_renamed', 'passkey_removed']),
    );
  }, 120_000);

  it('refuses a copied passkey (its counter went back) and mails the owner once a day; a forged counter mails nobody', async () => {
    const user = await signedInUser(stack, 'Cleo Clone');
    const { ceremonyId, options } = await registrationOptions(user.client);
    const credential = await createCredential(page, options);
    expect((await user.client.post('/api/user/mfa/passkeys/register/verify', { ceremonyId, credential })).status).toBe(
      201,
    );
    const stepUp = async (tamper?: (assertion: Json) => Json) => {
      const challenge = await user.client.post('/api/user/mfa/step-up', {});
      expect(challenge.status, JSON.stringify(challenge.body)).toBe(200);
      const assertion = await getAssertion(page, challenge.body.data.passkeyOptions);
      return user.client.post('/api/auth/mfa/verify', {
        challengeId: challenge.body.data.challengeId,
        type: 'passkey',
        credential: tamper ? tamper(assertion) : assertion,
      });
    };
    const cloneMails = () =>
      subjectsTo(user.email).filter((subject) => subject === 'Your passkey may have been copied');

    // Two genuine uses: the counter goes up and is stored.
    expect((await stepUp()).status).toBe(200);
    expect((await stepUp()).status).toBe(200);
    const [{ counter }] = await sql('select counter from mfa_passkeys where credential_id = ?', [credential.id]);
    expect(Number(counter)).toBeGreaterThan(0);

    // A counter rewritten to 0 without a signature to match is a forgery, not a copied authenticator.
    const forged = await stepUp((assertion) => {
      const data = Buffer.from(assertion.response.authenticatorData, 'base64url');
      data.writeUInt32BE(0, 33);
      return { ...assertion, response: { ...assertion.response, authenticatorData: data.toString('base64url') } };
    });
    expect(forged.status).toBe(401);
    const [warned] = await sql('select clone_warned_at from mfa_passkeys where credential_id = ?', [credential.id]);
    expect(warned.clone_warned_at).toBeNull();

    // A copy of the credential with an older counter signs genuinely: refused, and the owner is told.
    // DevTools names credentials in base64, the browser's JSON in base64url.
    const held = await authenticator.credentials();
    const original = held.find(
      (candidate) => Buffer.from(candidate.credentialId, 'base64').toString('base64url') === credential.rawId,
    );
    if (!original) throw new Error('the virtual authenticator does not hold the registered passkey');
    await authenticator.cdp.send('WebAuthn.removeCredential', {
      authenticatorId: authenticator.authenticatorId,
      credentialId: original.credentialId,
    });
    await authenticator.addCredential({ ...original, signCount: 0 });
    for (let attempt = 0; attempt < 2; attempt++) {
      const copied = await stepUp();
      expect(copied.status).toBe(401);
      expect(copied.body.code).toBe('INVALID_CREDENTIALS');
    }
    await expect.poll(cloneMails, { timeout: 10_000 }).toEqual(['Your passkey may have been copied']);
    // A marker: new recovery codes (the genuine step-ups left the session fresh) mail a notice that must
    // arrive. Mail is relayed in the order it was queued, so a second warning would have come before it.
    expect((await user.client.post('/api/user/mfa/recovery-codes', {})).status).toBe(200);
    await expect.poll(() => subjectsTo(user.email), { timeout: 10_000 }).toContain('New recovery codes');
    expect(cloneMails()).toHaveLength(1);
    const [after] = await sql('select counter, clone_warned_at from mfa_passkeys where credential_id = ?', [
      credential.id,
    ]);
    expect(Number(after.counter)).toBe(Number(counter));
    expect(after.clone_warned_at).not.toBeNull();
  }, 90_000);

  it('caps an account at 20 passkeys', async () => {
    const user = await signedInUser(stack, 'Max Many');
    for (let index = 0; index < 20; index++) {
      await sql(
        `insert into mfa_passkeys (id, user_id, credential_id, public_key, counter, device_type, backed_up, name, created_at)
         values (?, ?, ?, ?, 0, 'singleDevice', false, ?, now())`,
        [newId(), user.userId, randomBytes(16).toString('base64url'), randomBytes(77), `Key ${index}`],
      );
    }
    // A fresh second factor, so the refusal is the cap rather than the step-up.
    await ageSecondFactor(stack, { userId: user.userId }, 0);
    const refused = await user.client.post('/api/user/mfa/passkeys/register/options', {});
    expect(refused.status).toBe(409);
    expect(refused.body.meta).toMatchObject({ reason: 'PASSKEY_LIMIT' });
    const listed = await user.client.get('/api/user/mfa/passkeys?limit=5&sort=name');
    expect(listed.body.data.map((passkey: Json) => passkey.name)).toEqual([
      'Key 0',
      'Key 1',
      'Key 10',
      'Key 11',
      'Key 12',
    ]);
    expect(listed.body.meta.total).toBe(20);
  });

  it('refuses an attestation made for another ceremony, another session or another account', async () => {
    const owner = await signedInUser(stack, 'Owen Owner');
    const other = await signedInUser(stack, 'Olga Other');
    const first = await registrationOptions(owner.client);
    const second = await registrationOptions(owner.client);
    const forFirst = await createCredential(page, first.options);

    // Made for the first ceremony's challenge, sent with the second's.
    const crossed = await owner.client.post('/api/user/mfa/passkeys/register/verify', {
      ceremonyId: second.ceremonyId,
      credential: forFirst,
    });
    expect(crossed.status).toBe(401);
    expect(crossed.body.code).toBe('INVALID_CREDENTIALS');

    // Another account's session cannot finish the owner's ceremony.
    const stolen = await other.client.post('/api/user/mfa/passkeys/register/verify', {
      ceremonyId: first.ceremonyId,
      credential: forFirst,
    });
    expect(stolen.status).toBe(403);

    // Nor can another session of the same account.
    const elsewhere = new ApiClient(stack.urls.gateway);
    expect(
      (await elsewhere.post('/api/auth/sign-in/email', { email: owner.email, password: 'a-long-secure-passphrase' }))
        .status,
    ).toBe(200);
    const third = await registrationOptions(owner.client);
    const forThird = await createCredential(page, third.options);
    const otherSession = await elsewhere.post('/api/user/mfa/passkeys/register/verify', {
      ceremonyId: third.ceremonyId,
      credential: forThird,
    });
    expect(otherSession.status).toBe(403);

    // Another account's ceremony with the owner's attestation: its challenge and user differ.
    const others = await registrationOptions(other.client);
    const mixed = await other.client.post('/api/user/mfa/passkeys/register/verify', {
      ceremonyId: others.ceremonyId,
      credential: forFirst,
    });
    expect(mixed.status).toBe(401);

    // A forged handle (another account's tag on a real secret) names no ceremony.
    const [, secret] = others.ceremonyId.split('.');
    const forged = await other.client.post('/api/user/mfa/passkeys/register/verify', {
      ceremonyId: `${first.ceremonyId.split('.')[0]}.${secret}`,
      credential: forFirst,
    });
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('INVALID_OR_EXPIRED_TOKEN');

    expect(await sql('select 1 from mfa_passkeys where user_id in (?, ?)', [owner.userId, other.userId])).toEqual([]);
  }, 90_000);
});
