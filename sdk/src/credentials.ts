import type { Middleware } from 'openapi-fetch';

/** The gateway's default session cookie name (SESSION_COOKIE_NAME). */
export const DEFAULT_SESSION_COOKIE = 'gatehouse_session';

/** A Personal Access Token, sent as `X-Api-Key` (scripts, CI, bots). */
export function apiKeyAuth(apiKey: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set('x-api-key', apiKey);
      return request;
    },
  };
}

/** An OAuth 2.1 access token, sent as `Authorization: Bearer` (an app acting for a user). */
export function bearerAuth(accessToken: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${accessToken}`);
      return request;
    },
  };
}

/**
 * The session cookie outside a browser, like curl's -c/-b: kept from the `Set-Cookie` of sign-in,
 * sent back on every later call, dropped when the API clears it (sign-out). A browser does this
 * itself (`credentials: 'include'`) and never shows the cookie to scripts.
 */
export class SessionJar {
  private value: string | undefined;

  constructor(readonly cookieName = DEFAULT_SESSION_COOKIE) {}

  /** The session cookie value, when signed in. */
  get session(): string | undefined {
    return this.value;
  }

  set(value: string | undefined): void {
    this.value = value;
  }

  middleware(): Middleware {
    return {
      onRequest: ({ request }) => {
        if (this.value !== undefined && !request.headers.has('cookie'))
          request.headers.set('cookie', `${this.cookieName}=${this.value}`);
        return request;
      },
      onResponse: ({ response }) => {
        for (const cookie of response.headers.getSetCookie?.() ?? []) this.remember(cookie);
        return response;
      },
    };
  }

  private remember(setCookie: string): void {
    const [pair = ''] = setCookie.split(';');
    const index = pair.indexOf('=');
    if (index < 0 || pair.slice(0, index).trim() !== this.cookieName) return;
    const value = pair.slice(index + 1).trim();
    const cleared = value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(setCookie);
    this.value = cleared ? undefined : value;
  }
}
