import { listQuerySchema } from '@gatehouse/contracts';
import { Type } from 'typebox';
import { describe, expect, it } from 'vitest';
import { createHttpApp, createLogger } from '../src/index.js';

/** One app per suite, with a body, a query and a param to aim at. */
function inputApp() {
  const app = createHttpApp({ logger: createLogger('t', 'silent'), bodyLimit: 1_048_576 });
  app.post(
    '/things/:thingId',
    {
      schema: {
        params: Type.Object({ thingId: Type.String({ maxLength: 40 }) }),
        querystring: listQuerySchema({ sort: ['name'], search: true }),
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 100 })),
            expiresIn: Type.Optional(Type.Integer()),
            email: Type.Optional(Type.String()),
            enabled: Type.Optional(Type.Boolean()),
            tags: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({ body: request.body, query: request.query }),
  );
  return app;
}

const post = (app: ReturnType<typeof inputApp>, payload: unknown, query = '', id = 'a') =>
  app.inject({
    method: 'POST',
    url: `/things/${id}${query}`,
    headers: { 'content-type': 'application/json' },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

describe('bodies are not type-coerced; query strings are', () => {
  const app = inputApp();

  it.each([
    ['a numeric string for an integer', { expiresIn: '3600' }, 'expiresIn'],
    ['a number for a string', { name: 12345 }, 'name'],
    ['a one-element array for a string', { email: ['a@b.test'] }, 'email'],
    ['a string for a boolean', { enabled: 'true' }, 'enabled'],
    ['null for a string', { name: null }, 'name'],
  ])('refuses %s, naming the field', async (_case, payload, field) => {
    const res = await post(app, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    expect(res.json().meta.errors).toEqual([expect.objectContaining({ field, location: 'body' })]);
  });

  it('still reads numbers from the query string and fills defaults', async () => {
    const res = await post(app, { expiresIn: 3600, name: 'n' }, '?offset=5');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ body: { expiresIn: 3600, name: 'n' }, query: { offset: 5, limit: 20 } });
  });
});

describe('input the database cannot store is a 400 naming the field', () => {
  const app = inputApp();

  it.each([
    ['a body string', { name: 'a\u0000b' }, '', 'a', { field: 'name', location: 'body' }],
    ['a nested body string', { tags: { x: ['ok', 'b\u0000'] } }, '', 'a', { field: 'tags.x.1', location: 'body' }],
    ['a body key', { tags: { 'k\u0000': 1 } }, '', 'a', { field: 'tags', location: 'body' }],
    ['the query', {}, '?q=a%00b', 'a', { field: 'q', location: 'query' }],
    ['a param', {}, '', 'a%00b', { field: 'thingId', location: 'params' }],
  ])('a NUL character in %s', async (_case, payload, query, id, error) => {
    const res = await post(app, payload, query, id);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(res.json().meta.errors).toEqual([expect.objectContaining(error)]);
  });

  it('an offset past the bound (1e20 would overflow bigint in OFFSET)', async () => {
    const res = await post(app, {}, '?offset=1e20');
    expect(res.statusCode).toBe(400);
    expect(res.json().meta.errors).toEqual([expect.objectContaining({ field: 'offset', location: 'query' })]);
  });

  it('JSON nested 50,000 levels deep, refused before it is parsed; 64 levels are fine', async () => {
    const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    const res = await post(app, `{"tags":{"x":${deep}}}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(res.json().meta.errors).toEqual([expect.objectContaining({ field: 'body', location: 'body' })]);
    // Brackets inside strings are text, not depth.
    const fine = await post(app, `{"name":"${'['.repeat(90)}","tags":{"x":${'['.repeat(62)}${']'.repeat(62)}}}`);
    expect(fine.statusCode).toBe(200);
  });

  it('keeps refusing prototype poisoning', async () => {
    const res = await post(app, '{"tags":{"__proto__":{"admin":true}}}');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR' });
  });
});
