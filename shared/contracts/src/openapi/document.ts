import type { NamedRouteContract } from '../routes/contract.js';
import * as contractModules from '../routes/index.js';
import { AUTHORIZATION_SERVER_ROUTES, ROUTES } from '../routes/index.js';
import { buildComponents } from './components.js';
import { gatewayOperations } from './gateway-routes.js';
import { PAGINATION_GUIDE } from './lists.js';
import { NamedSchemas } from './named-schemas.js';
import { type Operation, operationOf } from './operations.js';
import { openApiPath } from './paths.js';
import { securitySchemes } from './security.js';

export interface OpenApiDocumentOptions {
  /** Where the API is reached (the gateway's PUBLIC_URL); the OAuth issuer is `${publicUrl}/oauth2`. */
  publicUrl: string;
  /** The session cookie's name (the gateway's SESSION_COOKIE_NAME). */
  cookieName?: string;
  /** The contracts to document; every public route and the authorization server's by default. */
  routes?: readonly NamedRouteContract[];
  version?: string;
}

export type OpenApiDocument = Record<string, unknown> & {
  openapi: '3.1.0';
  paths: Record<string, Record<string, Operation>>;
};

const OVERVIEW = [
  'Gatehouse: identity, organizations and projects behind one URL.',
  '',
  '**Envelope.** Every JSON answer of /api is an envelope: `{success: true, status, code: "OK", message, data, meta?}` on success, `{success: false, status, code, message, meta?, requestId}` on error (ErrorEnvelope). Match on `code`; its HTTP status never varies (ErrorCode).',
  '',
  '**Credentials.** A session cookie (browsers, from sign-in), a Personal Access Token as `X-Api-Key` (scripts), or an OAuth 2.1 access token as `Authorization: Bearer` (third-party apps). A token needs one of the scopes a route lists; a session holds every scope. Routes under `/api/user/organizations/{organizationId}` are tenant routes: the caller must be a member, and a credential pinned to an organization reaches only that one.',
  '',
  `${PAGINATION_GUIDE}`,
  '',
  '**Rate limits.** Per IP, per credential, and tighter per endpoint for sign-in, sign-up, mail and key creation (`x-gatehouse-rate-limit`). Every /api answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` for the tightest limit it counted against; a 429 says `Retry-After`. A 503 says `Retry-After` too.',
].join('\n');

/** Sections whose rules differ from the rest of the reference. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  'Authorization server':
    'OAuth 2.1 and OpenID Connect under the issuer `/oauth2`: form posts in, OAuth JSON (`{error, error_description}`) or pages out, not the envelope. The gateway’s own refusals (429, 503) are still envelopes.',
  Gateway: 'Answered by the gateway itself: no credential, no rate limit, never proxied.',
};

/** The OpenAPI 3.1 document of the whole API, from the route contracts (never from running services). */
export function buildOpenApiDocument(options: OpenApiDocumentOptions): OpenApiDocument {
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const routes = options.routes ?? [...ROUTES, ...AUTHORIZATION_SERVER_ROUTES];
  const paths: OpenApiDocument['paths'] = {};
  const add = (path: string, method: string, operation: Operation) => {
    paths[path] ??= {};
    paths[path][method] = operation;
  };
  const named = new NamedSchemas(contractModules);
  for (const route of routes)
    add(openApiPath(route.path), route.method.toLowerCase(), operationOf(route, named.toJson));
  for (const [path, operation] of Object.entries(gatewayOperations())) {
    // A contract may declare a gateway-made answer too: the contract wins.
    if (!paths[path]?.get) add(path, 'get', operation);
  }
  const tags = [
    ...new Set(Object.values(paths).flatMap((item) => Object.values(item).flatMap((op) => op.tags as string[]))),
  ];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse API',
      version: options.version ?? '0.1.0',
      description: OVERVIEW,
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: publicUrl }],
    tags: tags.map((name) => (TAG_DESCRIPTIONS[name] ? { name, description: TAG_DESCRIPTIONS[name] } : { name })),
    paths,
    components: buildComponents(
      securitySchemes({ issuer: `${publicUrl}/oauth2`, cookieName: options.cookieName ?? 'gatehouse_session' }),
      named.components(),
    ),
  };
}
