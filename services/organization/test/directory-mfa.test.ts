import { EVENT_SUBJECTS, type EventEnvelope, type EventSubject, newId } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { userEventHandlers } from '../src/consumers.js';
import { type OrganizationHarness, useOrganization } from './harness.js';

let h: OrganizationHarness;
useOrganization((started) => {
  h = started;
});

/** One of identity's user events, handled in one transaction as the consumer runs it. */
async function handle<S extends EventSubject>(type: S, data: EventEnvelope<S>['data']) {
  const event = { id: newId(), type, occurredAt: new Date().toISOString(), version: 1 as const, data };
  const handler = userEventHandlers[type] as (event: EventEnvelope<S>, em: unknown) => Promise<void>;
  await h.em().transactional((em) => handler(event, em));
}

async function mfaEnabledOf(userId: string): Promise<boolean | undefined> {
  const [row] = await h.em().execute('select mfa_enabled from directory_users where user_id = ?', [userId]);
  return row?.mfa_enabled;
}

const securityChanged = (userId: string, mfaEnabled: boolean, change: string) =>
  handle(EVENT_SUBJECTS.userSecurityChanged, {
    userId,
    mfaEnabled,
    factors: mfaEnabled ? ['totp', 'recovery_code'] : [],
    change,
  });

const profile = (userId: string) => ({ userId, email: `${userId.toLowerCase()}@example.com`, name: 'Dee Directory' });

describe('the directory’s MFA flag', () => {
  it('starts false for a new account and follows user.security_changed both ways', async () => {
    const userId = newId();
    await handle(EVENT_SUBJECTS.userUpdated, { ...profile(userId), handle: 'dee' });
    expect(await mfaEnabledOf(userId)).toBe(false);
    await securityChanged(userId, true, 'totp_enabled');
    expect(await mfaEnabledOf(userId)).toBe(true);
    // A change that keeps a factor (a passkey renamed, codes regenerated) keeps it on.
    await securityChanged(userId, true, 'recovery_codes_regenerated');
    expect(await mfaEnabledOf(userId)).toBe(true);
    await securityChanged(userId, false, 'factors_cleared');
    expect(await mfaEnabledOf(userId)).toBe(false);
  });

  it('keeps the flag through a profile change (user.updated)', async () => {
    const userId = newId();
    await handle(EVENT_SUBJECTS.userUpdated, { ...profile(userId), handle: 'dee' });
    await securityChanged(userId, true, 'passkey_added');
    await handle(EVENT_SUBJECTS.userUpdated, { ...profile(userId), name: 'Dee Renamed', handle: 'dee' });
    expect(await mfaEnabledOf(userId)).toBe(true);
  });

  it('skips a user the directory does not hold yet (their row comes with user.registered)', async () => {
    const userId = newId();
    await securityChanged(userId, true, 'totp_enabled');
    expect(await mfaEnabledOf(userId)).toBeUndefined();
  });
});
