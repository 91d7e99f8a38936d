import { eventually } from '@gatehouse/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
const anonymous = { kind: 'anonymous' } as const;

async function post(
  url: string,
  body: unknown,
  principal: Parameters<IdentityHarness['service']['as']>[0] = anonymous,
) {
  return h.service.app.inject({ method: 'POST', url, payload: body as object, headers: await h.service.as(principal) });
}

beforeAll(async () => {
  h = await startIdentity();
});
afterAll(async () => {
  await h?.close();
});

describe('identity: sign-up, sign-in and verification', () => {
  it('refuses a request that did not come through the gateway', async () => {
    const res = await h.service.app.inject({ method: 'POST', url: '/api/auth/sign-up/email', payload: {} });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ success: false, code: 'AUTHENTICATION_REQUIRED' });
  });

  it('signs up, rejects a duplicate and keeps the first account', async () => {
    const res = await post('/api/auth/sign-up/email', {
      email: ' Ada@Example.com ',
      password: 'a-long-secure-passphrase',
      name: 'Ada Lovelace',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ success: true, status: 200, code: 'OK' });
    expect(body.data).toMatchObject({
      email: 'ada@example.com',
      fullName: 'Ada Lovelace',
      handle: 'adalovelace',
      isVerified: false,
      role: 'user',
    });
    const again = await post('/api/auth/sign-up/email', {
      email: 'ada@example.com',
      password: 'another-long-passphrase',
      name: 'Imposter',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'CONFLICT', meta: { reason: 'EMAIL_TAKEN' } });
    const signIn = await post('/api/auth/sign-in/email', {
      email: 'ada@example.com',
      password: 'a-long-secure-passphrase',
    });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.json().data.user.fullName).toBe('Ada Lovelace');
  });

  it('validates the body and names each field', async () => {
    const res = await post('/api/auth/sign-up/email', { email: 'nope', password: 'short', extra: 1 });
    expect(res.statusCode).toBe(400);
    const fields = res
      .json()
      .meta.errors.map((e: { field: string }) => e.field)
      .sort();
    expect(fields).toEqual(['email', 'extra', 'name', 'password']);
    const same = await post('/api/auth/sign-up/email', {
      email: 'pw@example.com',
      password: 'pw@example.com',
      name: 'P',
    });
    expect(same.statusCode).toBe(400);
    expect(same.json().meta.errors[0].field).toBe('password');
  });

  it('answers unknown email and wrong password identically', async () => {
    const unknown = await post('/api/auth/sign-in/email', {
      email: 'nobody@example.com',
      password: 'whatever-password',
    });
    const wrong = await post('/api/auth/sign-in/email', { email: 'ada@example.com', password: 'wrong-password!' });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json().code).toBe('INVALID_CREDENTIALS');
    expect({ ...unknown.json(), requestId: undefined }).toEqual({ ...wrong.json(), requestId: undefined });
  });

  it('sets an HttpOnly SameSite=Lax session cookie', async () => {
    const res = await post('/api/auth/sign-in/email', {
      email: 'ada@example.com',
      password: 'a-long-secure-passphrase',
    });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^gatehouse_session=[A-Za-z0-9]{43,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // plain-http localhost
  });

  it('re-hashes the password at sign-in when the argon2 cost changed', async () => {
    const { buildApp } = await import('../src/app.js');
    const deps = h.service.deps;
    const stronger = await buildApp({ ...deps, config: { ...deps.config, ARGON2_TIME_COST: 3 } });
    try {
      const res = await stronger.inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        payload: { email: 'ada@example.com', password: 'a-long-secure-passphrase' },
        headers: await h.service.as(anonymous),
      });
      expect(res.statusCode).toBe(200);
      const [row] = await deps.orm.em
        .fork()
        .execute('select password_hash from users where email = ?', ['ada@example.com']);
      expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
    } finally {
      await stronger.close();
    }
  });

  it('verifies the email from the link in the real SMTP message, once', async () => {
    const link = await eventually(async () => {
      const found = h.smtp.linkTo('ada@example.com');
      if (!found) throw new Error('no mail yet');
      return found;
    });
    const url = new URL(link);
    // The link opens the console's page, which calls the API route with the same token.
    expect(url.pathname).toBe('/verify-email');
    const headers = await h.service.as(anonymous);
    const first = await h.service.app.inject({ method: 'GET', url: `/api/auth/verify-email${url.search}`, headers });
    expect(first.statusCode).toBe(200);
    expect(first.json().data.isVerified).toBe(true);
    const second = await h.service.app.inject({ method: 'GET', url: `/api/auth/verify-email${url.search}`, headers });
    expect(second.statusCode).toBe(401);
    expect(second.json().code).toBe('INVALID_OR_EXPIRED_TOKEN');
  });
});
