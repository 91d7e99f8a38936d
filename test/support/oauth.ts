import * as oauth from 'openid-client';
import type { ApiClient } from './client.js';
import type { Stack } from './stack.js';

/**
 * A user agent without JavaScript: follows redirects by hand, keeps cookies, submits the
 * authorization server's HTML forms. It drives the same pages a browser does (the Chromium
 * test proves they work in a real one).
 */
export class FormBrowser {
  private cookies = new Map<string, string>();

  constructor(
    initialCookies: Record<string, string> = {},
    private readonly extraHeaders: Record<string, string> = {},
  ) {
    for (const [name, value] of Object.entries(initialCookies)) this.cookies.set(name, value);
  }

  async fetch(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...this.extraHeaders };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? 'GET', headers, body, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair?.indexOf('=') ?? -1;
      if (!pair || index < 0) continue;
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(cookie) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const location = response.headers.get('location');
    return {
      status: response.status,
      headers: response.headers,
      location: location ? new URL(location, url).toString() : null,
      text: await response.text(),
    };
  }

  /** Follows redirects until a page is shown or the app's redirect URI is reached. */
  async follow(url: string, stopAt: string, init: { method?: string; form?: Record<string, string> } = {}) {
    let answer = await this.fetch(url, init);
    let current = url;
    for (let hops = 0; answer.location && hops < 10; hops += 1) {
      if (answer.location.startsWith(stopAt)) return { ...answer, url: answer.location, reachedApp: true };
      current = answer.location;
      answer = await this.fetch(current);
    }
    return { ...answer, url: current, reachedApp: false };
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

export function formAction(html: string, endsWith: string, base: string): string {
  const actions = [...html.matchAll(/<form[^>]*action="([^"]+)"/g)].map((match) => match[1] ?? '');
  const action = actions.find((candidate) => candidate.endsWith(endsWith));
  if (!action) throw new Error(`no form posting to …${endsWith} in page`);
  return new URL(action.replace(/&#38;/g, '&'), base).toString();
}

export interface RegisteredApp {
  id: string;
  clientSecret: string | null;
  redirectUri: string;
}

export async function registerApp(
  owner: ApiClient,
  input: { name?: string; type?: 'public' | 'confidential'; scopes?: string[]; redirectUri?: string } = {},
): Promise<RegisteredApp> {
  const redirectUri = input.redirectUri ?? 'http://127.0.0.1:9/callback';
  const created = await owner.post('/api/user/oauth-apps', {
    name: input.name ?? 'Acme Reports',
    type: input.type ?? 'public',
    redirectUris: [redirectUri],
    allowedScopes: input.scopes ?? ['openid', 'profile', 'email', 'offline_access', 'user:read', 'projects:read'],
  });
  if (created.status !== 201) throw new Error(`app not created: ${JSON.stringify(created.body)}`);
  return { id: created.body.data.id, clientSecret: created.body.data.clientSecret, redirectUri };
}

/** openid-client configured for an app, discovering the server through the gateway. */
export async function clientFor(stack: Stack, app: RegisteredApp): Promise<oauth.Configuration> {
  const auth = app.clientSecret ? oauth.ClientSecretBasic(app.clientSecret) : oauth.None();
  // The test stack speaks plain http on loopback.
  return oauth.discovery(new URL(`${stack.urls.gateway}/oauth2`), app.id, undefined, auth, {
    execute: [oauth.allowInsecureRequests],
    algorithm: 'oauth2',
  });
}

export interface AuthorizationAttempt {
  url: URL;
  verifier: string;
  state: string;
}

export async function authorizationRequest(
  config: oauth.Configuration,
  app: RegisteredApp,
  scope: string,
  extra: Record<string, string> = {},
): Promise<AuthorizationAttempt> {
  const verifier = oauth.randomPKCECodeVerifier();
  const state = oauth.randomState();
  const url = oauth.buildAuthorizationUrl(config, {
    redirect_uri: app.redirectUri,
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url, verifier, state };
}

/**
 * The user's side of the flow without a browser: sign in on the login page (unless the
 * session cookie skips it), then allow or deny on the consent page. Returns the URL the
 * authorization server sent the browser back to the app with.
 */
export async function completeAuthorization(
  browser: FormBrowser,
  attempt: AuthorizationAttempt,
  app: RegisteredApp,
  user: { email: string; password: string } | null,
  decision: 'allow' | 'deny' = 'allow',
): Promise<{ callback: URL; consentPage: string | null }> {
  let step = await browser.follow(attempt.url.toString(), app.redirectUri);
  if (!step.reachedApp && step.text.includes('autocomplete="current-password"')) {
    if (!user) throw new Error('login page shown but no credentials given');
    const action = formAction(step.text, '/login', step.url);
    step = await browser.follow(action, app.redirectUri, { method: 'POST', form: user });
  }
  let consentPage: string | null = null;
  if (!step.reachedApp) {
    consentPage = step.text;
    const action = formAction(step.text, decision === 'allow' ? '/confirm' : '/abort', step.url);
    step = await browser.follow(action, app.redirectUri, { method: 'POST', form: {} });
  }
  if (!step.reachedApp) throw new Error(`did not return to the app: ${step.status} ${step.text.slice(0, 300)}`);
  return { callback: new URL(step.url), consentPage };
}

/** The app's side after the redirect: code + verifier for tokens, checking state. */
export function exchangeCode(config: oauth.Configuration, attempt: AuthorizationAttempt, callback: URL) {
  return oauth.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: attempt.verifier,
    expectedState: attempt.state,
  });
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')),
  };
}
