import {
  AppError,
  billingPageUrl,
  type EntitlementsChanged,
  type MemberProvisionReply,
  type MemberProvisionRequest,
  newId,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import { recordEntitlements } from '@gatehouse/service-kit';
import { StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityContext } from '../src/context.js';
import type { SsoConnection } from '../src/sso/entities.js';
import { provisionMembership } from '../src/sso/membership-provision.js';
import type { IdpProfile } from '../src/sso/sign-in.js';
import type { User } from '../src/users/entities.js';
import { type IdentityHarness, startIdentity } from './harness.js';

const codec = StringCodec();
const FULL = newId();
const GONE = newId();
/** Read-only (unpaid): STORED's entitlements are in identity's copy, UNHEARD's have not arrived yet. */
const STORED = newId();
const UNHEARD = newId();
const READ_ONLY_SINCE = new Date(Date.now() - 60_000);

let h: IdentityHarness;
let ctx: IdentityContext;

beforeAll(async () => {
  h = await startIdentity();
  ctx = { deps: h.service.deps, config: h.service.deps.config } as IdentityContext;
  answerProvisioning();
  await storeReadOnly(STORED);
});
afterAll(async () => {
  await h?.close();
});

/**
 * Stands in for organization's member provisioning (its own suite tests when it answers what): FULL's plan
 * has no room left, GONE no longer exists, STORED and UNHEARD are read-only.
 */
function answerProvisioning(): void {
  const { messaging } = h.service.deps;
  messaging.nc.subscribe(messaging.subject(RPC_SUBJECTS.provisionMember), {
    callback: (_error, message) => {
      const request = JSON.parse(codec.decode(message.data)) as MemberProvisionRequest;
      const reason: Extract<MemberProvisionReply, { ok: false }>['reason'] =
        request.organizationId === FULL
          ? 'PLAN_LIMIT_REACHED'
          : [STORED, UNHEARD].includes(request.organizationId)
            ? 'SUBSCRIPTION_INACTIVE'
            : 'ORGANIZATION_NOT_FOUND';
      const reply: MemberProvisionReply = { ok: false, reason };
      message.respond(codec.encode(JSON.stringify(reply)));
    },
  });
}

/** What identity keeps from billing's event, stored as its consumer stores it. */
async function storeReadOnly(organizationId: string): Promise<void> {
  const entitlements: EntitlementsChanged = {
    organizationId,
    revision: 1,
    tierId: 'team',
    status: 'past_due',
    entitlements: { maxProjects: 10, maxMembers: 10, ssoAllowed: true, auditRetentionDays: 90 },
    readOnlyAfter: READ_ONLY_SINCE.toISOString(),
    upgradeUrl: billingPageUrl('http://localhost:8080', organizationId),
  };
  await h.service.deps.orm.em.fork().transactional((em) => recordEntitlements(em, entitlements));
}

const connectionOf = (organizationId: string) =>
  ({ id: newId(), organizationId, roleMapping: [], defaultRole: 'member' }) as unknown as SsoConnection;
const user = { id: newId(), email: 'sam@example.com', fullName: 'Sam' } as User;
const profile: IdpProfile = {
  subject: 'sam',
  email: 'sam@example.com',
  emailVerified: true,
  name: 'Sam',
  attributes: {},
  mfaAsserted: false,
};

async function refusal(organizationId: string): Promise<AppError> {
  const failure = await provisionMembership(ctx, connectionOf(organizationId), user, profile).catch((e) => e);
  expect(failure).toBeInstanceOf(AppError);
  return failure as AppError;
}

describe('SSO just-in-time provisioning refused by the plan', () => {
  it('fails the sign-in with 403 PLAN_LIMIT_REACHED saying the plan has no room, and where to upgrade', async () => {
    const failure = await refusal(FULL);
    expect(failure.code).toBe('PLAN_LIMIT_REACHED');
    expect(failure.status).toBe(403);
    expect(failure.message).toMatch(/plan has no room/);
    expect(failure.meta).toEqual({ resource: 'members', upgradeUrl: `http://localhost:8080/orgs/${FULL}/billing` });
    const rows = await h.service.deps.orm.em
      .fork()
      .execute('select 1 from user_memberships where organization_id = ? and user_id = ?', [FULL, user.id]);
    expect(rows).toEqual([]);
  });

  it('fails the sign-in with 403 SUBSCRIPTION_INACTIVE for a read-only organization, since when as identity knows it', async () => {
    const failure = await refusal(STORED);
    expect(failure.code).toBe('SUBSCRIPTION_INACTIVE');
    expect(failure.status).toBe(403);
    expect(failure.meta).toEqual({
      organizationId: STORED,
      readOnlySince: READ_ONLY_SINCE.toISOString(),
      upgradeUrl: `http://localhost:8080/orgs/${STORED}/billing`,
    });
    const rows = await h.service.deps.orm.em
      .fork()
      .execute('select 1 from user_memberships where organization_id = ? and user_id = ?', [STORED, user.id]);
    expect(rows).toEqual([]);
  });

  it('still says where to pay when identity has not stored the read-only organization’s entitlements yet', async () => {
    const failure = await refusal(UNHEARD);
    expect(failure.code).toBe('SUBSCRIPTION_INACTIVE');
    expect(failure.status).toBe(403);
    expect(failure.message).toMatch(/read-only until its subscription is paid/);
    expect(failure.meta).toEqual({
      organizationId: UNHEARD,
      upgradeUrl: `http://localhost:8080/orgs/${UNHEARD}/billing`,
    });
  });

  it('still calls a connection whose organization is gone unavailable', async () => {
    const failure = await refusal(GONE);
    expect(failure.code).toBe('FORBIDDEN');
    expect(failure.meta).toEqual({ reason: 'SSO_CONNECTION_DISABLED' });
  });
});
