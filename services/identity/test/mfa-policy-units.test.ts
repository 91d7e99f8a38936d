import { newId } from '@gatehouse/contracts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockedOrganizations, forgetOrganizationSecurity, securitySettingsOf } from '../src/mfa-policy/service.js';
import { type IdentityHarness, startIdentity } from './harness.js';

let harness: IdentityHarness;
const em = () => harness.service.deps.orm.em.fork();

beforeAll(async () => {
  harness = await startIdentity();
});
afterAll(async () => {
  await harness?.close();
});

async function member(userId: string, organizationId: string, role = 'member') {
  await em().execute('insert into user_memberships (organization_id, user_id, role) values (?, ?, ?)', [
    organizationId,
    userId,
    role,
  ]);
}

async function policy(organizationId: string, mfaRequired: boolean) {
  await em().execute(
    `insert into organization_security (organization_id, mfa_required, updated_at, updated_by) values (?, ?, now(), ?)
     on conflict (organization_id) do update set mfa_required = excluded.mfa_required`,
    [organizationId, mfaRequired, newId()],
  );
}

describe('blockedOrganizations', () => {
  it('lists exactly the organizations of the user’s memberships that require a second factor', async () => {
    const user = newId();
    const [strict, lax, unset, strictElsewhere] = [newId(), newId(), newId(), newId()];
    await member(user, strict);
    await member(user, lax, 'owner');
    await member(user, unset);
    await member(newId(), strictElsewhere);
    await policy(strict, true);
    await policy(lax, false);
    await policy(strictElsewhere, true);
    expect(await blockedOrganizations(em(), user, false)).toEqual([strict]);

    const strictToo = newId();
    await member(user, strictToo, 'admin');
    await policy(strictToo, true);
    expect(await blockedOrganizations(em(), user, false)).toEqual([strict, strictToo].sort());
    // Every role is held to it.
    await policy(lax, true);
    expect((await blockedOrganizations(em(), user, false)).sort()).toEqual([lax, strict, strictToo].sort());
  });

  it('is empty for a user with no memberships or none that requires it', async () => {
    expect(await blockedOrganizations(em(), newId(), false)).toEqual([]);
    const user = newId();
    const organization = newId();
    await member(user, organization);
    expect(await blockedOrganizations(em(), user, false)).toEqual([]);
    await policy(organization, false);
    expect(await blockedOrganizations(em(), user, false)).toEqual([]);
  });

  it('answers [] for a credential that meets the policy, without reading anything', async () => {
    const user = newId();
    const organization = newId();
    await member(user, organization);
    await policy(organization, true);
    const untouchable = {
      execute: () => {
        throw new Error('no query expected');
      },
    } as unknown as EntityManager;
    expect(await blockedOrganizations(untouchable, user, true)).toEqual([]);
    expect(await blockedOrganizations(em(), user, true)).toEqual([]);
    expect(await blockedOrganizations(em(), user, false)).toEqual([organization]);
  });
});

describe('an organization’s settings row', () => {
  it('is read, and goes with a deleted organization (leaving others alone)', async () => {
    const [deleted, kept] = [newId(), newId()];
    expect(await securitySettingsOf(em(), deleted)).toBeNull();
    await policy(deleted, true);
    await policy(kept, true);
    expect((await securitySettingsOf(em(), deleted))?.mfaRequired).toBe(true);
    await forgetOrganizationSecurity(em(), deleted);
    expect(await securitySettingsOf(em(), deleted)).toBeNull();
    expect((await securitySettingsOf(em(), kept))?.mfaRequired).toBe(true);
  });
});
