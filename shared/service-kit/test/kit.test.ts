import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import {
  base62,
  ConfigError,
  createHttpApp,
  createLogger,
  isDatabaseUnavailable,
  loadConfig,
  randomSecret,
} from '../src/index.js';

describe('loadConfig', () => {
  const schema = Type.Object({
    PORT: Type.Integer({ default: 3000 }),
    KEY: Type.String({ minLength: 4 }),
    ON: Type.Boolean({ default: false }),
  });
  it('applies defaults and converts strings', () => {
    expect(loadConfig(schema, { KEY: 'abcd', ON: 'true' })).toEqual({ PORT: 3000, KEY: 'abcd', ON: true });
  });
  it('names the first bad or missing variable in one line', () => {
    expect(() => loadConfig(schema, {})).toThrowError(
      new ConfigError('Configuration error: KEY is required but not set'),
    );
    expect(() => loadConfig(schema, { KEY: 'abcd', PORT: 'eighty' })).toThrowError(
      /^Configuration error: PORT must be integer$/,
    );
  });
});

describe('envelope error handler', () => {
  const app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 64 });
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object(
          { name: Type.String({ maxLength: 5 }), note: Type.Union([Type.String({ maxLength: 3 }), Type.Null()]) },
          { additionalProperties: false },
        ),
      },
    },
    async () => ({ ok: true }),
  );
  app.get('/boom', async () => {
    throw new Error('select * from users where password = secret');
  });

  it('lists each bad field once, with the most specific reason', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: 'toolong', note: 'long', extra: 1 },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().meta.errors).toEqual([
      { field: 'extra', error: 'is not allowed', location: 'body' },
      { field: 'name', error: 'must NOT have more than 5 characters', location: 'body' },
      { field: 'note', error: 'must NOT have more than 3 characters', location: 'body' },
    ]);
  });

  it('never leaks an unexpected error', async () => {
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({
      success: false,
      status: 500,
      code: 'INTERNAL_ERROR',
      message: 'Something went wrong on our side',
    });
    expect(res.body).not.toMatch(/select|password|stack/i);
  });

  it('answers 413 and 415 as envelopes', async () => {
    const big = await app.inject({ method: 'POST', url: '/things', payload: { name: 'x'.repeat(100), note: null } });
    expect(big.json()).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const text = await app.inject({
      method: 'POST',
      url: '/things',
      payload: 'hi',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.json()).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });
});

describe('logs', () => {
  it('redact credentials, passwords and link tokens, and drop SQL from error messages', () => {
    const lines: string[] = [];
    // pino's destination interface, written synchronously: every line is here when logging returns.
    const sink = { write: (line: string) => void lines.push(line) };
    const logger = createLogger('t', 'info', sink);
    logger.info(
      {
        req: {
          headers: { 'x-api-key': 'ba_SECRET', cookie: 'gatehouse_session=SECRET', authorization: 'Bearer SECRET' },
        },
      },
      'request',
    );
    logger.info({ body: { password: 'SECRET', newPassword: 'SECRET', token: 'SECRET' } }, 'body');
    logger.error(
      { err: Object.assign(new Error('insert into api_keys values (SECRET)'), { code: '23505' }) },
      'failed',
    );
    logger.info({ req: { method: 'GET', url: '/api/auth/verify-email?token=SECRET&x=1' } }, 'incoming request');
    logger.info(
      { req: { method: 'POST', url: '/api/user/invites/SECRETSECRETSECRETSECRET1234/accept' } },
      'incoming request',
    );
    const output = lines.join('');
    expect(output).not.toContain('SECRET');
    expect(output).toContain('[redacted]');
    expect(output).toContain('[query redacted]');
    expect(output).toContain('/api/auth/verify-email?token=[redacted]&x=1');
    expect(output).toContain('/api/user/invites/[redacted]/accept');
  });
});

describe('secrets', () => {
  it('are base62 and carry the requested entropy', () => {
    expect(randomSecret(32)).toMatch(/^[0-9A-Za-z]{43}$/);
    expect(base62(Buffer.from([0]))).toBe('00');
    expect(new Set(Array.from({ length: 100 }, () => randomSecret(16))).size).toBe(100);
  });
});

describe('principal tokens', () => {
  it('verify against any configured key, so the signing key can rotate without downtime', async () => {
    const { generatePrincipalKeys } = await import('../src/testing.js');
    const { createPrincipalSigner, createPrincipalVerifier } = await import('../src/principal.js');
    const [oldPair, newPair, strangerPair] = await Promise.all([
      generatePrincipalKeys(),
      generatePrincipalKeys(),
      generatePrincipalKeys(),
    ]);
    const verifier = await createPrincipalVerifier(`${oldPair.publicKeyPem}\n${newPair.publicKeyPem}`);
    const claims = { principal: { kind: 'anonymous' as const }, clientIp: '127.0.0.1' };
    for (const pair of [oldPair, newPair]) {
      const token = await (await createPrincipalSigner(pair.privateKeyPem)).sign(claims);
      expect(await verifier.verify(token)).toEqual(claims);
    }
    const forged = await (await createPrincipalSigner(strangerPair.privateKeyPem)).sign(claims);
    await expect(verifier.verify(forged)).rejects.toThrow();
  });
});

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
    [
      'the pool timing out',
      Object.assign(new Error('Timeout acquiring a connection'), { name: 'KnexTimeoutError' }),
      true,
    ],
    ['PostgreSQL shutting down (57P01)', Object.assign(new Error('terminating connection'), { code: '57P01' }), true],
    ['a connection failure (08006)', Object.assign(new Error('connection failure'), { code: '08006' }), true],
    ['too many connections (53300)', Object.assign(new Error('too many clients'), { code: '53300' }), true],
    ['a wrapped cause', new Error('driver', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }), true],
    ['a unique violation (23505)', Object.assign(new Error('duplicate key'), { code: '23505' }), false],
    ['a plain bug', new TypeError('undefined is not a function'), false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isDatabaseUnavailable(error)).toBe(expected);
  });

  it('turns into 503 SERVICE_UNAVAILABLE at the envelope, never a 500', async () => {
    const app = createHttpApp({ logger: createLogger('test', 'silent'), bodyLimit: 1024 });
    app.get('/db', async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    });
    const res = await app.inject({ method: 'GET', url: '/db' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'A dependency is unavailable, retry shortly',
    });
    expect(res.body).not.toContain('5432');
  });
});
