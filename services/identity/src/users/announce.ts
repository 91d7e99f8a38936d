import { EVENT_SUBJECTS } from '@gatehouse/contracts';
import { recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { User } from './entities.js';

/** `user.updated` as every service's copy of a person reads it, in the caller's transaction. */
export function announceUserUpdated(em: EntityManager, user: User, requestId?: string): void {
  recordEvent(
    em,
    EVENT_SUBJECTS.userUpdated,
    { userId: user.id, email: user.email, name: user.fullName, handle: user.handle, isVerified: user.isVerified },
    requestId,
  );
}
