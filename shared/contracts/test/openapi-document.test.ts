import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../src/errors.js';
import { buildOpenApiDocument, ERROR_RESPONSES, openApiPath } from '../src/openapi/index.js';
import { AUTHORIZATION_SERVER_ROUTES, ROUTES } from '../src/routes/index.js';
import { TOKEN_SCOPES } from '../src/scopes.js';

const document = buildOpenApiDocument({ publicUrl: 'https://api.example.com/' });
type Operation = { operationId: string; responses: Record<string, unknown>; security: unknown[]; tags: string[] };
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ path, method, operation: operation as Operation })),
);
const components = document.components as {
  responses: Record<string, unknown>;
  securitySchemes: Record<string, Record<string, unknown>>;
};

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has one operation per contract, named by the contract', () => {
    for (const route of [...ROUTES, ...AUTHORIZATION_SERVER_ROUTES]) {
      const operation = document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()] as Operation | undefined;
      expect(operation?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
      expect(operation?.tags).toEqual([route.tag]);
    }
  });

  it('names every operation uniquely', () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("documents the gateway's own routes", () => {
    for (const path of ['/openapi.json', '/docs', '/livez', '/readyz', '/healthz'])
      expect(document.paths[path]?.get, path).toBeDefined();
  });

  it('has a reusable answer for every error status, and every one is used', () => {
    const statuses = new Set<number>(Object.values(ERROR_STATUS));
    for (const status of statuses) expect(ERROR_RESPONSES, String(status)).toHaveProperty(String(status));
    const used = new Set(
      operations.flatMap(({ operation }) => Object.values(operation.responses).map((answer) => JSON.stringify(answer))),
    );
    for (const name of Object.values(ERROR_RESPONSES)) {
      if (name === 'RequestTimeout' || name === 'HeadersTooLarge' || name === 'InternalError') continue; // `default`
      expect(used, name).toContain(JSON.stringify({ $ref: `#/components/responses/${name}` }));
    }
  });

  it('gives every /api operation the answers the gateway makes', () => {
    for (const { path, operation } of operations.filter(({ path }) => path.startsWith('/api/'))) {
      for (const status of ['404', '429', '503', 'default'])
        expect(operation.responses, `${path} ${status}`).toHaveProperty(status);
      const route = ROUTES.find((candidate) => candidate.operationId === operation.operationId)!;
      if (route.auth === 'required') expect(operation.responses, path).toHaveProperty('401');
      if (route.scopes) expect(operation.responses, path).toHaveProperty('403');
      if (route.body) expect(operation.responses, path).toHaveProperty('413');
    }
  });

  it('takes form posts and answers OAuth JSON on the authorization server', () => {
    const token = document.paths['/oauth2/token']?.post as Operation & { requestBody: { content: object } };
    expect(Object.keys(token.requestBody.content)).toEqual(['application/x-www-form-urlencoded']);
    expect(JSON.stringify(token.responses['400'])).toContain('OAuthError');
    // The gateway's own refusals there are still envelopes.
    expect(JSON.stringify(token.responses['429'])).toContain('RateLimitedError');
  });

  it('describes the three credentials and the issuer under the public URL', () => {
    const { sessionCookie, apiKey, oauth2 } = components.securitySchemes;
    expect(sessionCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'gatehouse_session' });
    expect(apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Api-Key' });
    const flows = oauth2?.flows as Record<string, Record<string, unknown>>;
    expect(flows.authorizationCode).toMatchObject({
      authorizationUrl: 'https://api.example.com/oauth2/auth',
      tokenUrl: 'https://api.example.com/oauth2/token',
    });
    expect(Object.keys(flows.authorizationCode?.scopes as object)).toEqual(
      expect.arrayContaining([...TOKEN_SCOPES, 'openid']),
    );
    expect(flows.clientCredentials).toMatchObject({ tokenUrl: 'https://api.example.com/oauth2/token' });
  });

  it('lets a token call a route with any one of its scopes', () => {
    const route = ROUTES.find((candidate) => candidate.operationId === 'listProjects')!;
    const operation = document.paths[openApiPath(route.path)]?.get as Operation & Record<string, unknown>;
    expect(operation['x-gatehouse-scopes-any-of']).toEqual(['projects:read']);
    expect(operation['x-gatehouse-tenant']).toBe(true);
    expect(operation.security).toContainEqual({ oauth2: ['projects:read'] });
    expect(operation.security).toContainEqual({ sessionCookie: [] });
  });

  it('is the same document every time it is built', () => {
    expect(JSON.stringify(buildOpenApiDocument({ publicUrl: 'https://api.example.com' }))).toBe(
      JSON.stringify(document),
    );
  });
});
