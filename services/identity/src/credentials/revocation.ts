import { type CredentialKind, EVENT_SUBJECTS } from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Announces, in the caller's transaction, that a credential (or everything issued under an
 * OAuth grant or app) no longer holds; every gateway replica drops its cached answer on it.
 */
export function announceRevocation(
  em: EntityManager,
  credential: { kind: CredentialKind; id: string; userId: string },
  requestId?: string,
): void {
  recordEvent(em, EVENT_SUBJECTS.credentialRevoked, credential, requestId);
}
