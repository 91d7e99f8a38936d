import type { Middleware } from '@gatehouse/sdk';
import { useSyncExternalStore } from 'react';

/** One request the console made, as the "Use the API" panel shows it. */
export interface ApiCall {
  method: string;
  /** Path and query, e.g. /api/user/organizations/…/projects?limit=20. */
  path: string;
  /** The JSON body with secrets (passwords, tokens) blanked. */
  body?: string;
}

/**
 * Names never shown, even to their owner: the panel is for copying, and copies travel. A value
 * under such a name is blanked whatever it is (a string, an array of codes, an object).
 */
const SECRET_NAMES =
  /password|passphrase|token|secret|key$|^code$|otp|recovery|credential|assertion|^pin$|authorization|cookie|qrcode|challengeid|ceremonyid/i;
/** Answers that set the session cookie: their curl keeps it in the jar (`-c`) instead of sending one. */
const SIGN_IN_PATHS = /^\/api\/auth\/(sign-in\/|passkey\/verify|magic-link\/verify)/;
/** Answering a challenge: a step-up one needs the session sent, a sign-in one sets it, so both. */
const CHALLENGE_PATH = '/api/auth/mfa/verify';
const MAX_CALLS = 8;

let calls: ApiCall[] = [];
const listeners = new Set<() => void>();

function publish(next: ApiCall[]): void {
  calls = next;
  for (const listener of listeners) listener();
}

/** Forgets the previous screen's calls: the panel shows what the current one makes. */
export function clearCalls(): void {
  if (calls.length > 0) publish([]);
}

export function recordCall(call: ApiCall): void {
  const rest = calls.filter((c) => !(c.method === call.method && c.path === call.path && c.body === call.body));
  publish([...rest, call].slice(-MAX_CALLS));
}

export function useApiCalls(): ApiCall[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => calls,
  );
}

export function redactBody(text: string): string | undefined {
  if (!text) return undefined;
  try {
    // A flag such as `rotateSecret: true` is no secret, and blanking it would change the call.
    return JSON.stringify(
      JSON.parse(text),
      (name, value) => (name && SECRET_NAMES.test(name) && typeof value !== 'boolean' ? '…' : value),
      2,
    );
  } catch {
    return undefined;
  }
}

/** Path and query with secrets blanked: a mailed token in the query, an invitation token in the path. */
export function redactPath(url: URL): string {
  const path = url.pathname.replace(/(\/invites\/)[^/]+(?=\/accept)/, '$1…');
  const search = url.search.replace(/([?&])([^=&]+)=[^&]*/g, (pair, separator: string, name: string) =>
    SECRET_NAMES.test(decodeURIComponent(name)) ? `${separator}${name}=…` : pair,
  );
  return path + search;
}

/** Records every request of the console's API client. */
export const recordingMiddleware: Middleware = {
  async onRequest({ request }) {
    const body = request.method === 'GET' ? undefined : redactBody(await request.clone().text());
    recordCall({ method: request.method, path: redactPath(new URL(request.url)), ...(body ? { body } : {}) });
    return request;
  },
};

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * The same call with curl, the way the Quick Start makes it: the session in a cookie jar
 * (`-c` keeps it at sign-in, `-b` sends it back).
 */
export function curlOf(call: ApiCall, origin: string): string {
  const lines = [`curl${call.method === 'GET' ? '' : ` -X ${call.method}`} ${shellQuote(origin + call.path)}`];
  if (call.body) lines.push(`-H 'Content-Type: application/json'`);
  if (call.path === CHALLENGE_PATH) lines.push('-b cookies.txt -c cookies.txt');
  else lines.push(SIGN_IN_PATHS.test(call.path) ? '-c cookies.txt' : '-b cookies.txt');
  if (call.body) lines.push(`-d ${shellQuote(call.body)}`);
  return lines.join(' \\\n  ');
}
