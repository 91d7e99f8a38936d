import {
  type CredentialKind,
  EVENT_SUBJECTS,
  REVOKED_CREDENTIALS_HEADER,
  userCredentialsPurgeId,
} from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';

/** Requests in flight at once are far fewer; the oldest entry goes first if a reply never takes its ids. */
const MAX_REQUESTS_REMEMBERED = 10_000;

/**
 * At most this many ids ride on one answer (about 7 KB of header, well inside any proxy's limit);
 * a revocation of more (a password reset ending hundreds of sessions) leaves the rest to the events.
 */
const MAX_IDS_PER_ANSWER = 256;

/** Credential ids revoked while serving each request, by request id, until its answer takes them. */
const revokedByRequest = new Map<string, Set<string>>();

/**
 * Announces, in the caller's transaction, that a credential (or everything issued under an
 * OAuth grant or app) no longer holds; every gateway replica drops its cached answer on it.
 * With a request id, the id also rides on that request's answer (takeRevokedIds), so the
 * gateway that serves it drops its cache before the client hears "revoked". A rolled-back
 * transaction leaves an id here too: the purge it causes is only a cache miss.
 */
export function announceRevocation(
  em: EntityManager,
  credential: { kind: CredentialKind; id: string; userId: string },
  requestId?: string,
): void {
  recordEvent(em, EVENT_SUBJECTS.credentialRevoked, credential, requestId);
  if (requestId) remember(requestId, credential.id);
}

/**
 * Announces, in the caller's transaction, that the account's second factors changed (or a session
 * proved one): every gateway drops the cached credentials of this user, whose principal carries
 * `mfaEnrolled`/`mfaBlockedIn`. With a request id, `user:<id>` also rides on that request's answer,
 * so the serving gateway purges before the client hears of the change; so do `sessionIds` (sessions whose
 * own amr changed, e.g. by a step-up), for a gateway that has not learnt the `user:` entry yet.
 */
export function announceSecurityChange(
  em: EntityManager,
  userId: string,
  data: { mfaEnabled: boolean; factors: readonly string[]; change: string },
  requestId?: string,
  sessionIds: readonly string[] = [],
): void {
  recordEvent(
    em,
    EVENT_SUBJECTS.userSecurityChanged,
    { userId, mfaEnabled: data.mfaEnabled, factors: [...data.factors], change: data.change },
    requestId,
  );
  if (!requestId) return;
  remember(requestId, userCredentialsPurgeId(userId));
  for (const sessionId of sessionIds) remember(requestId, sessionId);
}

/** The ids revoked while serving this request (at most MAX_IDS_PER_ANSWER), forgotten once taken. */
export function takeRevokedIds(requestId: string): string[] {
  const ids = revokedByRequest.get(requestId);
  if (!ids) return [];
  revokedByRequest.delete(requestId);
  return [...ids].slice(0, MAX_IDS_PER_ANSWER);
}

/** Marks an answer with what its request revoked, for the gateway: [header, value], or null. */
export function revokedCredentialsHeader(requestId: string): [string, string] | null {
  const ids = takeRevokedIds(requestId);
  return ids.length > 0 ? [REVOKED_CREDENTIALS_HEADER, ids.join(',')] : null;
}

function remember(requestId: string, credentialId: string): void {
  const ids = revokedByRequest.get(requestId);
  if (ids) {
    ids.add(credentialId);
    return;
  }
  if (revokedByRequest.size >= MAX_REQUESTS_REMEMBERED) {
    const oldest = revokedByRequest.keys().next();
    if (!oldest.done) revokedByRequest.delete(oldest.value);
  }
  revokedByRequest.set(requestId, new Set([credentialId]));
}
