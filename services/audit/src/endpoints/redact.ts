import { isIP } from 'node:net';

/** What stands for a part of a URL that may be a credential. */
export const REDACTED = '…';

/** A host label or first path segment that reads as a word (`hooks`, `api-gateway`), not an id or a key. */
const WORD = /^[A-Za-z][A-Za-z-]{0,31}$/;

/**
 * An endpoint URL as an audit record (and every webhook receiving it, and every export) may show it: the scheme,
 * the host's readable labels, the port and the first path segment when it reads as a word — everything else
 * becomes `…`. Receivers put their credential anywhere in a URL (Slack's and Zapier's paths, Telegram's
 * `bot<token>`, `?token=`, a per-endpoint host like `<id>.m.pipedream.net`), and records are kept for a year and
 * travel to exports and other endpoints. Only the endpoint's owners see the full URL, through the webhooks API.
 */
export function recordedUrl(raw: string): string {
  const url = new URL(raw);
  // An address is no credential; a name's labels are kept only when they read as words.
  const host = isIP(url.hostname.replace(/^\[(.*)\]$/, '$1'))
    ? url.hostname
    : url.hostname
        .split('.')
        .map((label) => (WORD.test(label) ? label : REDACTED))
        .join('.');
  const [first, ...rest] = url.pathname.split('/').filter((segment) => segment !== '');
  const path =
    first === undefined ? '/' : `/${WORD.test(first) ? first : REDACTED}${rest.length > 0 ? `/${REDACTED}` : ''}`;
  const more = url.search || url.pathname.includes(';') ? `?${REDACTED}` : '';
  return `${url.protocol}//${host}${url.port ? `:${url.port}` : ''}${path}${more}`;
}
