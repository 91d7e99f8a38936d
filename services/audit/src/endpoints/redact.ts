/** What stands for a part of a URL that may be a credential. */
export const REDACTED = '…';

/**
 * A path segment that may be a credential: long (≥ 16) in a token alphabet (base64url, base64, hex), or shorter
 * (≥ 8) mixing letters and digits — Slack's `/services/T…/B…/<token>` and Discord's `/webhooks/<id>/<token>`
 * authenticate by path alone. Readable long segments are redacted too: a lost word costs less than a leaked key.
 */
function looksLikeToken(segment: string): boolean {
  if (!/^[A-Za-z0-9_\-+=.~%]+$/.test(segment)) return false;
  if (segment.length >= 16) return true;
  return segment.length >= 8 && /[0-9]/.test(segment) && /[A-Za-z]/.test(segment);
}

const redactedSegment = (segment: string) => (looksLikeToken(segment) ? REDACTED : segment);

/** `?token=…&channel=…`: every value may be a key (`?token=`, `?sig=`), names stay unless they look like one. */
function redactedQuery(search: string): string {
  if (search.length <= 1) return '';
  const pairs = search
    .slice(1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      return equals === -1 ? redactedSegment(name) : `${redactedSegment(name)}=${REDACTED}`;
    });
  return `?${pairs.join('&')}`;
}

/**
 * An endpoint URL as an audit record (and every webhook receiving it, and every export) may show it: scheme,
 * host and readable path, with query values and token-like path segments replaced by `…`. Only the endpoint's
 * owners see the full URL, through the webhooks API.
 */
export function recordedUrl(raw: string): string {
  const url = new URL(raw);
  const path = url.pathname.split('/').map(redactedSegment).join('/');
  return `${url.origin}${path}${redactedQuery(url.search)}`;
}
