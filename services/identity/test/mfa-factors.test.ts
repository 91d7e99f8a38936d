import { randomBytes } from 'node:crypto';
import { AppError, newId } from '@gatehouse/contracts';
import { Keyring } from '@gatehouse/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../../test/support/totp.js';
import { deleteMe } from '../src/accounts/deletion.js';
import { operatorContext } from '../src/build-context.js';
import { commit, type IdentityContext } from '../src/context.js';
import { replaceRecoveryCodes, spendRecoveryCode } from '../src/factors/recovery-codes.js';
import { factorsOf, isEnrolled } from '../src/factors/status.js';
import { checkTotp, totpAad } from '../src/factors/totp.js';
import { resealTotpSecrets, resetFactorsOf } from '../src/mfa/operator.js';
import { type IdentityHarness, startIdentity } from './harness.js';

/**
 * The factor functions other packages build on (checkTotp, spendRecoveryCode, factorsOf), the
 * operator's re-seal and reset, and account deletion, against a real identity database.
 */
const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
const old = Keyring.parse(`old:${OLD_KEY}`);
const gone = Keyring.parse(`gone:${randomBytes(32).toString('base64')}`);
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

let h: IdentityHarness;
let ctx: IdentityContext;

beforeAll(async () => {
  h = await startIdentity({
    // Mid-rotation: the new key seals, the old one still opens.
    MFA_ENCRYPTION_KEY: `new:${NEW_KEY},old:${OLD_KEY}`,
    MFA_TOTP_ISSUER: 'Gatehouse',
    MFA_CHALLENGE_TTL_SECONDS: 300,
    MFA_CHALLENGE_MAX_ATTEMPTS: 5,
    MFA_STEP_UP_SECONDS: 600,
    WEBAUTHN_RP_NAME: 'Gatehouse',
    WEBAUTHN_EXTRA_ORIGINS: '',
  });
  ctx = operatorContext(h.service.deps);
});
afterAll(async () => {
  await h?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: rows are asserted column by column.
const sql = (query: string, params: unknown[] = []): Promise<any[]> =>
  h.service.deps.orm.em.fork().execute(query, params);

let counter = 0;
async function newUser(): Promise<{ id: string; email: string }> {
  counter += 1;
  const email = `factor-${Date.now().toString(36)}-${counter}@example.com`;
  const res = await h.service.app.inject({
    method: 'POST',
    url: '/api/auth/sign-up/email',
    payload: { email, password: 'a-long-secure-passphrase', name: 'Factor Person' },
    headers: await h.service.as({ kind: 'anonymous' }),
  });
  expect(res.statusCode, res.body).toBe(200);
  return { id: res.json().data.id, email };
}

async function withTotp(userId: string, sealedWith: Keyring, confirmed = true): Promise<void> {
  await sql('insert into mfa_totp (user_id, secret_sealed, confirmed_at, created_at) values (?, ?, ?, now())', [
    userId,
    sealedWith.seal(SECRET, totpAad(userId)),
    confirmed ? new Date() : null,
  ]);
}

async function withPasskey(userId: string): Promise<void> {
  await sql(
    `insert into mfa_passkeys (id, user_id, credential_id, public_key, counter, transports, device_type, backed_up, name, created_at)
     values (?, ?, ?, ?, 0, '{internal}', 'multiDevice', true, 'Phone', now())`,
    [newId(), userId, randomBytes(16).toString('base64url'), randomBytes(77)],
  );
}

const check = (userId: string, code: string) => commit(ctx, (em) => checkTotp(ctx, em, userId, code));

describe('factorsOf / isEnrolled', () => {
  it('lists totp, passkey, recovery_code in that order; codes alone and pending apps do not count', async () => {
    const user = await newUser();
    const state = async () => {
      const em = h.service.deps.orm.em.fork();
      return { factors: await factorsOf(em, user.id), enrolled: await isEnrolled(em, user.id) };
    };
    expect(await state()).toEqual({ factors: [], enrolled: false });
    await commit(ctx, (em) => replaceRecoveryCodes(em, user.id));
    expect(await state()).toEqual({ factors: [], enrolled: false });
    await withTotp(user.id, old, false);
    expect(await state()).toEqual({ factors: [], enrolled: false });
    await sql('update mfa_totp set confirmed_at = now() where user_id = ?', [user.id]);
    expect(await state()).toEqual({ factors: ['totp', 'recovery_code'], enrolled: true });
    await withPasskey(user.id);
    expect(await state()).toEqual({ factors: ['totp', 'passkey', 'recovery_code'], enrolled: true });
    await sql('delete from mfa_totp where user_id = ?', [user.id]);
    await sql('update mfa_recovery_codes set used_at = now() where user_id = ?', [user.id]);
    expect(await state()).toEqual({ factors: ['passkey'], enrolled: true });
  });
});

describe('checkTotp', () => {
  it('accepts a right code once, re-seals an old-key secret with the current key, refuses replays and wrong codes', async () => {
    const user = await newUser();
    await withTotp(user.id, old);
    const code = totpCode(SECRET);
    expect(await check(user.id, code === '000000' ? '111111' : '000000')).toBe(false);
    expect(await check(user.id, code)).toBe(true);
    const [row] = await sql('select secret_sealed, last_used_step from mfa_totp where user_id = ?', [user.id]);
    expect(row.secret_sealed).toMatch(/^v2\.new\./);
    expect(ctx.mfaKeys.open(row.secret_sealed, totpAad(user.id))).toBe(SECRET);
    expect(Number(row.last_used_step)).toBeGreaterThan(0);
    // The same code again (or any code of that step) is a replay.
    expect(await check(user.id, code)).toBe(false);
  });

  it('lets only one of two concurrent uses of a code pass', async () => {
    const user = await newUser();
    await withTotp(user.id, ctx.mfaKeys);
    const code = totpCode(SECRET);
    const results = await Promise.all(Array.from({ length: 5 }, () => check(user.id, code)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('is false without a confirmed app', async () => {
    const none = await newUser();
    expect(await check(none.id, totpCode(SECRET))).toBe(false);
    const pending = await newUser();
    await withTotp(pending.id, ctx.mfaKeys, false);
    expect(await check(pending.id, totpCode(SECRET))).toBe(false);
  });

  it('answers SERVICE_UNAVAILABLE, not "wrong code", for a secret no configured key opens', async () => {
    const user = await newUser();
    await withTotp(user.id, gone);
    const failure = await check(user.id, totpCode(SECRET)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).code).toBe('SERVICE_UNAVAILABLE');
    // A secret copied onto another account's row does not open either.
    const victim = await newUser();
    const copied = old.seal(SECRET, totpAad(user.id));
    await sql('insert into mfa_totp (user_id, secret_sealed, confirmed_at, created_at) values (?, ?, now(), now())', [
      victim.id,
      copied,
    ]);
    expect(((await check(victim.id, totpCode(SECRET)).catch((error) => error)) as AppError).code).toBe(
      'SERVICE_UNAVAILABLE',
    );
  });
});

describe('spendRecoveryCode', () => {
  it('spends each code once, however it is typed, only for its own account, and mails how many are left', async () => {
    const user = await newUser();
    const other = await newUser();
    const codes = await commit(ctx, (em) => replaceRecoveryCodes(em, user.id));
    const othersCodes = await commit(ctx, (em) => replaceRecoveryCodes(em, other.id));
    const spend = (userId: string, code: string) => commit(ctx, (em) => spendRecoveryCode(em, userId, code));
    const [first, second] = codes as [string, string];

    expect(await spend(user.id, othersCodes[0] ?? '')).toEqual({ spent: false, left: 10 });
    expect(await spend(user.id, 'not a code at all')).toEqual({ spent: false, left: 10 });
    expect(await spend(user.id, first.toLowerCase().replace(/-/g, ' '))).toEqual({ spent: true, left: 9 });
    expect(await spend(user.id, first)).toEqual({ spent: false, left: 9 });
    const racing = await Promise.all(Array.from({ length: 4 }, () => spend(user.id, second)));
    expect(racing.filter((result) => result.spent)).toHaveLength(1);
    expect(await spend(other.id, othersCodes[0] ?? '')).toEqual({ spent: true, left: 9 });

    const notices = () =>
      h.smtp.received
        .filter((mail) => mail.to.includes(user.email) && mail.raw.includes('Subject: A recovery code was used'))
        .map((mail) => mail.raw.replace(/=\r?\n/g, '').match(/(\d+) codes are left/)?.[1])
        .sort();
    await expect.poll(notices, { timeout: 10_000 }).toEqual(['8', '9']);
  });
});

describe('operator: mfa:reseal and mfa:reset', () => {
  it('re-seals every old-key secret in batches, leaves current and unopenable ones, and is idempotent', async () => {
    const onOld = [await newUser(), await newUser(), await newUser()];
    const onNew = await newUser();
    const lost = await newUser();
    for (const user of onOld) await withTotp(user.id, old);
    await withTotp(onNew.id, ctx.mfaKeys);
    await withTotp(lost.id, gone);
    const [before] = await sql('select secret_sealed from mfa_totp where user_id = ?', [onNew.id]);

    const report = await resealTotpSecrets(ctx, 2);
    expect(report.unopenable).toContain(lost.id);
    const rows = [];
    for (const user of [...onOld, onNew]) {
      rows.push(...(await sql('select user_id, secret_sealed from mfa_totp where user_id = ?', [user.id])));
    }
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(ctx.mfaKeys.isCurrent(row.secret_sealed)).toBe(true);
      expect(Keyring.parse(`new:${NEW_KEY}`).open(row.secret_sealed, totpAad(row.user_id))).toBe(SECRET);
    }
    expect(rows.find((row) => row.user_id === onNew.id)?.secret_sealed).toBe(before.secret_sealed);
    const [{ secret_sealed: stillLost }] = await sql('select secret_sealed from mfa_totp where user_id = ?', [lost.id]);
    expect(stillLost).toMatch(/^v2\.gone\./);

    const again = await resealTotpSecrets(ctx, 2);
    expect(again.resealed).toBe(0);
    expect(again.scanned).toBe(report.scanned);
  });

  it('reset clears every factor and ends every credential of the account, mails and announces it', async () => {
    const user = await newUser();
    const bystander = await newUser();
    const signIn = await h.service.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      payload: { email: user.email, password: 'a-long-secure-passphrase' },
      headers: await h.service.as({ kind: 'anonymous' }),
    });
    expect(signIn.statusCode, signIn.body).toBe(200);
    for (const someone of [user, bystander]) {
      await withTotp(someone.id, ctx.mfaKeys);
      await withPasskey(someone.id);
      await commit(ctx, (em) => replaceRecoveryCodes(em, someone.id));
    }

    expect(await resetFactorsOf(ctx, user.email.toUpperCase())).toEqual({ userId: user.id });
    for (const table of ['mfa_totp', 'mfa_passkeys', 'mfa_recovery_codes', 'mfa_challenges']) {
      expect(await sql(`select 1 from ${table} where user_id = ?`, [user.id]), table).toEqual([]);
    }
    expect(await sql('select 1 from sessions where user_id = ? and revoked_at is null', [user.id])).toEqual([]);
    expect(await factorsOf(h.service.deps.orm.em.fork(), bystander.id)).toEqual(['totp', 'passkey', 'recovery_code']);
    const events = await sql("select payload from outbox_events where subject like '%user.security_changed'");
    expect(events.map((row) => row.payload.data)).toContainEqual({
      userId: user.id,
      mfaEnabled: false,
      factors: [],
      change: 'factors_cleared',
    });
    await expect
      .poll(() => h.smtp.latestTo(user.email)?.raw ?? '', { timeout: 10_000 })
      .toContain('Two-step verification was turned off');

    expect(await resetFactorsOf(ctx, 'nobody@example.com')).toBeNull();
  });

  it('account deletion takes the factors and challenges with it', async () => {
    const user = await newUser();
    await withTotp(user.id, ctx.mfaKeys);
    await withPasskey(user.id);
    await commit(ctx, (em) => replaceRecoveryCodes(em, user.id));
    await deleteMe(ctx, user.id, newId());
    for (const table of ['mfa_totp', 'mfa_passkeys', 'mfa_recovery_codes', 'mfa_challenges']) {
      expect(await sql(`select 1 from ${table} where user_id = ?`, [user.id]), table).toEqual([]);
    }
  });
});
