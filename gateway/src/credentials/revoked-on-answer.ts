import type { IncomingHttpHeaders } from 'node:http';
import type { IncomingHttpHeaders as Http2IncomingHttpHeaders } from 'node:http2';
import { EVERY_CREDENTIAL_PURGE_ID, INTERNAL_HEADER_PREFIX, REVOKED_CREDENTIALS_HEADER } from '@gatehouse/contracts';
import type { CredentialCache } from './cache.js';

/**
 * An upstream's answer headers as the client gets them. The credentials identity revoked while
 * serving the request are purged from this replica's cache first, so the client never holds a
 * "revoked" answer while this gateway still accepts the credential (the revocation event covers
 * the other replicas). The ids may be `user:<id>` (every credential of a user whose factors changed) or
 * `*` (everything: an organization's policy changed). No internal header passes to a client.
 */
export function answerHeaders<H extends IncomingHttpHeaders | Http2IncomingHttpHeaders>(
  headers: H,
  cache: CredentialCache,
): H {
  const revoked = headers[REVOKED_CREDENTIALS_HEADER];
  // Almost every answer revokes nothing: no arrays, no splitting.
  if (revoked !== undefined) purgeRevoked(Array.isArray(revoked) ? revoked : [revoked], cache);
  // Copied without the internal headers (rather than copied whole, then deleted from: no dictionary-mode object).
  const answer = {} as H;
  for (const name in headers) {
    if (!name.toLowerCase().startsWith(INTERNAL_HEADER_PREFIX)) answer[name as keyof H] = headers[name as keyof H];
  }
  return answer;
}

function purgeRevoked(values: ReadonlyArray<string | number | undefined>, cache: CredentialCache): void {
  for (const value of values) {
    for (const id of String(value ?? '').split(',')) {
      if (id.trim() === EVERY_CREDENTIAL_PURGE_ID) cache.purgeAll();
      else if (id.trim()) cache.purge(id.trim());
    }
  }
}
