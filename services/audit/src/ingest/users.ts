import type { EVENT_SUBJECTS, EventEnvelope } from '@gatehouse/contracts';
import { fieldChanges } from '@gatehouse/service-kit';
import { forgetPerson, keepPerson, nameOf, personOf } from '../people/people.js';
import { type Ingest, recordFrom } from './record.js';

type Subjects = typeof EVENT_SUBJECTS;
type Registered = EventEnvelope<Subjects['userRegistered']>;
type Updated = EventEnvelope<Subjects['userUpdated']>;
type Deleted = EventEnvelope<Subjects['userDeleted']>;
type SecurityChanged = EventEnvelope<Subjects['userSecurityChanged']>;
type CredentialRevoked = EventEnvelope<Subjects['credentialRevoked']>;

const userTarget = (userId: string, name: string | null) => ({ type: 'user', id: userId, name });

export async function userRegistered(ingest: Ingest, event: Registered): Promise<void> {
  const { userId, email, name } = event.data;
  await keepPerson(ingest.em, { userId, email, name });
  await recordFrom(ingest, event, {
    log: { userId },
    action: 'user.registered',
    target: userTarget(userId, name),
  });
}

/** What changed, against the copy kept before this event (the handle is not kept: it is not compared). */
export async function userUpdated(ingest: Ingest, event: Updated): Promise<void> {
  const { userId, email, name } = event.data;
  const before = await personOf(ingest.em, userId);
  await keepPerson(ingest.em, { userId, email, name });
  await recordFrom(ingest, event, {
    log: { userId },
    action: 'user.updated',
    target: userTarget(userId, name),
    changes: before ? (fieldChanges(before, { userId, email, name }, ['name', 'email']) ?? null) : null,
  });
}

/** Recorded while the person is still known (their name on the record), then forgotten. */
export async function userDeleted(ingest: Ingest, event: Deleted): Promise<void> {
  const { userId } = event.data;
  await recordFrom(ingest, event, {
    log: { userId },
    action: 'user.deleted',
    target: userTarget(userId, await nameOf(ingest.em, userId)),
  });
  await forgetPerson(ingest.em, userId);
}

export async function userSecurityChanged(ingest: Ingest, event: SecurityChanged): Promise<void> {
  const { userId, change, mfaEnabled, factors } = event.data;
  await recordFrom(ingest, event, {
    log: { userId },
    action: 'mfa.changed',
    target: userTarget(userId, await nameOf(ingest.em, userId)),
    changes: { change: { after: change }, mfaEnabled: { after: mfaEnabled }, factors: { after: factors } },
  });
}

/** The action and target type of each revoked credential's kind; a SCIM token's rotation identity records itself. */
const REVOCATIONS = {
  session: { action: 'session.revoked', target: 'session' },
  api_key: { action: 'api_key.revoked', target: 'api_key' },
  oauth: { action: 'oauth_grant.revoked', target: 'oauth_grant' },
  scim: null,
} as const;

export async function credentialRevoked(ingest: Ingest, event: CredentialRevoked): Promise<void> {
  const revocation = REVOCATIONS[event.data.kind];
  if (!revocation) return;
  await recordFrom(ingest, event, {
    log: { userId: event.data.userId },
    action: revocation.action,
    target: { type: revocation.target, id: event.data.id },
  });
}
