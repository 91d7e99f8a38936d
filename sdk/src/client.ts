import createClient, { type Client } from 'openapi-fetch';
import { apiKeyAuth, bearerAuth, SessionJar } from './credentials.js';
import type { paths } from './schema.js';

export type GatehouseClient = Client<paths> & {
  /** The session this client signed in to (kept from sign-in's Set-Cookie); absent with a token. */
  readonly sessionJar: SessionJar | undefined;
};

export interface GatehouseClientOptions {
  /** The API's public URL, e.g. https://api.example.com. */
  baseUrl: string;
  /** A Personal Access Token (`ba_…`), sent as X-Api-Key. */
  apiKey?: string;
  /** An OAuth 2.1 access token, sent as Authorization: Bearer. */
  accessToken?: string;
  /** The session cookie's name when the deployment changed it (SESSION_COOKIE_NAME). */
  sessionCookieName?: string;
  /** An existing session cookie value to send (a server acting for a signed-in user). */
  session?: string;
  /**
   * In a browser page on the API's own origin: the browser keeps the HttpOnly session cookie and
   * sends it itself (no jar, nothing a script could read).
   */
  browser?: boolean;
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

/**
 * A typed client of the whole API (paths, parameters, bodies and answers from the OpenAPI
 * document). With `apiKey` or `accessToken` it sends that credential; without, it keeps the
 * session cookie sign-in sets and sends it back, as a browser or curl's cookie jar would (in a
 * browser, with `browser: true`, the browser itself keeps it).
 */
export function createGatehouseClient(options: GatehouseClientOptions): GatehouseClient {
  if (options.apiKey && options.accessToken) throw new Error('Give one credential: apiKey or accessToken');
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ...(options.browser ? { credentials: 'same-origin' as const } : {}),
  });
  let sessionJar: SessionJar | undefined;
  if (options.apiKey) client.use(apiKeyAuth(options.apiKey));
  else if (options.accessToken) client.use(bearerAuth(options.accessToken));
  else if (!options.browser) {
    sessionJar = new SessionJar(options.sessionCookieName);
    sessionJar.set(options.session);
    client.use(sessionJar.middleware());
  }
  return Object.assign(client, { sessionJar });
}
