import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { eventually } from '@gatehouse/service-kit/testing';
import { StringCodec } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../support/client.js';
import { createKey, keyClient, mailedToken, signedInUser, verifiedUser, verifyEmail } from '../support/flows.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ RATE_LIMIT_SIGN_IN_MAX: '1000', RATE_LIMIT_SIGN_UP_MAX: '1000' });
});
afterAll(async () => {
  await stack?.close();
});

type User = Awaited<ReturnType<typeof signedInUser>>;

const verify = (user: User) => verifyEmail(stack, user);

/** Invites `invitee` into `owner`'s organization with `role`, and accepts; returns the member id. */
async function join(owner: User, invitee: User, role: 'admin' | 'member' | 'owner'): Promise<string> {
  const invite = await owner.client.post(`/api/user/organizations/${owner.organizationId}/invites`, {
    email: invitee.email,
    role,
  });
  expect(invite.status).toBe(201);
  const token = await mailedToken(stack, invitee.email, '/accept-invite?token=');
  const accepted = await invitee.client.post(`/api/user/invites/${token}/accept`);
  expect(accepted.status).toBe(200);
  return accepted.body.data.id;
}

describe('organizations', () => {
  it('provisions exactly one default organization, even when user.registered is delivered again', async () => {
    const user = await signedInUser(stack, 'Solo Founder');
    const list = await user.client.get('/api/user/organizations');
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ name: "Solo Founder's organization", role: 'owner', isDefault: true });
    // Replay the registration as a new event (new id, past dedupe): provisioning must stay single.
    const { js, subject } = stack.identity.deps.messaging;
    const replay = {
      id: newId(),
      type: EVENT_SUBJECTS.userRegistered,
      occurredAt: new Date().toISOString(),
      version: 1,
      data: { userId: user.userId, email: user.email, name: 'Solo Founder' },
    };
    await js.publish(subject(EVENT_SUBJECTS.userRegistered), StringCodec().encode(JSON.stringify(replay)), {
      msgID: replay.id,
    });
    await eventually(async () => {
      const [row] = await stack.organization.deps.orm.em
        .fork()
        .execute('select count(*)::int as n from processed_events where event_id = ?', [replay.id]);
      expect(row?.n).toBe(1);
    });
    expect((await user.client.get('/api/user/organizations')).body.data).toHaveLength(1);
  });

  it('creates organizations (201) with unique slugs, lets only owners delete', async () => {
    const owner = await signedInUser(stack, 'Org Maker');
    const created = await owner.client.post('/api/user/organizations', {
      name: 'Acme Inc',
      slug: `acme-${Date.now()}`,
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ name: 'Acme Inc', role: 'owner', isDefault: false });
    const clash = await owner.client.post('/api/user/organizations', { name: 'Other', slug: created.body.data.slug });
    expect(clash.status).toBe(409);
    expect(clash.body.meta.reason).toBe('SLUG_TAKEN');
    const bad = await owner.client.post('/api/user/organizations', { name: '' });
    expect(bad.body.meta.errors[0].field).toBe('name');
    const id = created.body.data.id;
    const renamed = await owner.client.put(`/api/user/organizations/${id}`, { name: 'Acme Corp' });
    expect(renamed.body.data.name).toBe('Acme Corp');
    expect((await owner.client.get(`/api/user/organizations/${id}/my-membership`)).body.data.role).toBe('owner');
    const project = await owner.client.post(`/api/user/organizations/${id}/projects`, { name: 'Doomed' });
    expect(project.status).toBe(201);
    expect((await owner.client.delete(`/api/user/organizations/${id}`)).status).toBe(200);
    expect((await owner.client.get(`/api/user/organizations/${id}`)).status).toBe(404);
    await eventually(async () =>
      expect((await owner.client.get(`/api/user/organizations/${id}/projects`)).status).toBe(404),
    );
    // The 404 can answer before the project service has consumed the deletion; its projects go when it does.
    await eventually(async () => {
      const [left] = await stack.project.deps.orm.em
        .fork()
        .execute('select count(*)::int as n from projects where organization_id = ?', [id]);
      expect(left?.n).toBe(0);
    });
  });
});

describe('members and roles', () => {
  let owner: User;
  let admin: User;
  let member: User;
  let adminId: string;
  let memberId: string;

  beforeAll(async () => {
    owner = await verifiedUser(stack, 'Olivia Owner');
    admin = await signedInUser(stack, 'Adam Admin');
    member = await signedInUser(stack, 'Mia Member');
    await verify(admin);
    await verify(member);
    adminId = await join(owner, admin, 'admin');
    memberId = await join(owner, member, 'member');
  });

  it('lists members with name, email, role and joinedAt', async () => {
    const list = await member.client.get(`/api/user/organizations/${owner.organizationId}/members`);
    expect(list.status).toBe(200);
    expect(list.body.meta.total).toBe(3);
    expect(list.body.data.map((m: { role: string }) => m.role)).toEqual(['owner', 'admin', 'member']);
    expect(list.body.data[1]).toMatchObject({ name: 'Adam Admin', email: admin.email });
    expect(Date.parse(list.body.data[1].joinedAt)).toBeGreaterThan(0);
  });

  it('applies the role rules', async () => {
    const org = `/api/user/organizations/${owner.organizationId}`;
    const byMember = await member.client.put(`${org}/members/${adminId}/role`, { role: 'member' });
    expect(byMember.status).toBe(403);
    expect(byMember.body.code).toBe('INSUFFICIENT_PERMISSIONS');
    const ownerList = await owner.client.get(`${org}/members`);
    const ownerMemberId = ownerList.body.data[0].id;
    const adminDemotesOwner = await admin.client.put(`${org}/members/${ownerMemberId}/role`, { role: 'member' });
    expect(adminDemotesOwner.status).toBe(403);
    const adminMakesOwner = await admin.client.put(`${org}/members/${memberId}/role`, { role: 'owner' });
    expect(adminMakesOwner.status).toBe(403);
    const lastOwner = await owner.client.put(`${org}/members/${ownerMemberId}/role`, { role: 'admin' });
    expect(lastOwner.status).toBe(409);
    expect(lastOwner.body.meta.reason).toBe('LAST_OWNER');
    const leaveAsLastOwner = await owner.client.delete(`${org}/members/${ownerMemberId}`);
    expect(leaveAsLastOwner.body.meta.reason).toBe('LAST_OWNER');
    expect((await member.client.delete(`${org}`)).status).toBe(403);
    const adminDelete = await admin.client.delete(`${org}`);
    expect(adminDelete.status).toBe(403);
    expect(adminDelete.body.meta).toEqual({ requiredRole: 'owner' });
    const invitesAsMember = await member.client.post(`${org}/invites`, { email: 'x@example.com' });
    expect(invitesAsMember.status).toBe(403);
  });

  it('shrinks a member key at once when the member is demoted, and shuts it out when removed', async () => {
    const org = `/api/user/organizations/${owner.organizationId}`;
    const key = await createKey(admin.client, { name: 'admin bot', scopes: ['projects:read', 'projects:write'] });
    const bot = keyClient(stack, key.key);
    const first = await owner.client.post(`${org}/projects`, { name: 'First' });
    const second = await owner.client.post(`${org}/projects`, { name: 'Second' });
    expect((await bot.delete(`${org}/projects/${first.body.data.id}`)).status).toBe(200);
    await owner.client.put(`${org}/members/${adminId}/role`, { role: 'member' });
    await eventually(
      async () => {
        const denied = await bot.delete(`${org}/projects/${second.body.data.id}`);
        expect(denied.status).toBe(403);
        expect(denied.body.code).toBe('INSUFFICIENT_PERMISSIONS');
      },
      2000,
      20,
    );
    expect((await bot.get(`${org}/projects`)).status).toBe(200);
    await owner.client.delete(`${org}/members/${adminId}`);
    await eventually(async () => expect((await bot.get(`${org}/projects`)).status).toBe(404), 2000, 20);
  });

  it('never lets two owners demote each other into an ownerless organization', async () => {
    const first = await verifiedUser(stack, 'Owner One');
    const second = await signedInUser(stack, 'Owner Two');
    await verify(second);
    const secondId = await join(first, second, 'owner');
    const org = `/api/user/organizations/${first.organizationId}`;
    const firstId = (await first.client.get(`${org}/my-membership`)).body.data.id;
    const [a, b] = await Promise.all([
      first.client.put(`${org}/members/${secondId}/role`, { role: 'member' }),
      second.client.put(`${org}/members/${firstId}/role`, { role: 'member' }),
    ]);
    // Serialised by the organization row lock: the first demotion wins; the loser is then either
    // no longer an owner (403) or would remove the last owner (409). Never both succeed.
    expect([a.status, b.status].filter((status) => status === 200)).toHaveLength(1);
    expect([a.status, b.status].some((status) => status === 403 || status === 409)).toBe(true);
    const members = await first.client.get(`${org}/members`);
    const owners = members.status === 200 ? members.body.data : (await second.client.get(`${org}/members`)).body.data;
    expect(owners.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
  });

  it('lets a member leave', async () => {
    const leaver = await signedInUser(stack, 'Leo Leaver');
    await verify(leaver);
    const id = await join(owner, leaver, 'member');
    expect((await leaver.client.delete(`/api/user/organizations/${owner.organizationId}/members/${id}`)).status).toBe(
      200,
    );
    expect((await leaver.client.get(`/api/user/organizations/${owner.organizationId}`)).status).toBe(404);
  });
});

describe('invitations', () => {
  it('are single use, expire, refuse duplicates, and need the invitee to be signed in with a verified matching email', async () => {
    const owner = await verifiedUser(stack, 'Ivy Inviter');
    const invitee = await signedInUser(stack, 'Ian Invitee');
    const stranger = await signedInUser(stack, 'Sam Stranger');
    const org = `/api/user/organizations/${owner.organizationId}`;
    const invite = await owner.client.post(`${org}/invites`, { email: invitee.email, role: 'member' });
    expect(invite.body.data).toMatchObject({ email: invitee.email, role: 'member', status: 'pending' });
    const duplicate = await owner.client.post(`${org}/invites`, { email: invitee.email });
    expect(duplicate.status).toBe(409);
    const token = await mailedToken(stack, invitee.email, '/accept-invite?token=');
    const unverified = await invitee.client.post(`/api/user/invites/${token}/accept`);
    expect(unverified.body.code).toBe('EMAIL_NOT_VERIFIED');
    await verify(invitee);
    expect((await stranger.client.post(`/api/user/invites/${token}/accept`)).body.code).toBe('FORBIDDEN');
    const anonymous = await new ApiClient(stack.urls.gateway).post(`/api/user/invites/${token}/accept`);
    expect(anonymous.status).toBe(401);
    expect((await invitee.client.post(`/api/user/invites/${token}/accept`)).status).toBe(200);
    expect((await invitee.client.post(`/api/user/invites/${token}/accept`)).body.code).toBe('INVALID_OR_EXPIRED_TOKEN');
    expect((await invitee.client.get('/api/user/organizations')).body.data).toHaveLength(2);
  });

  it('expire, can be resent with a fresh link, and revoked', async () => {
    const owner = await verifiedUser(stack, 'Rita Resender');
    const invitee = await signedInUser(stack, 'Rob Late');
    await verify(invitee);
    const org = `/api/user/organizations/${owner.organizationId}`;
    const invite = await owner.client.post(`${org}/invites`, { email: invitee.email });
    const oldToken = await mailedToken(stack, invitee.email, '/accept-invite?token=');
    await stack.organization.deps.orm.em
      .fork()
      .execute("update invites set expires_at = now() - interval '1 second' where id = ?", [invite.body.data.id]);
    expect((await invitee.client.post(`/api/user/invites/${oldToken}/accept`)).body.code).toBe(
      'INVALID_OR_EXPIRED_TOKEN',
    );
    const resent = await owner.client.post(`${org}/invites/${invite.body.data.id}/resend`);
    expect(resent.body.data.status).toBe('pending');
    const newToken = await eventually(async () => {
      const token = await mailedToken(stack, invitee.email, '/accept-invite?token=');
      if (token === oldToken) throw new Error('not resent yet');
      return token;
    });
    const listed = await owner.client.get(`${org}/invites`);
    expect(listed.body.data).toHaveLength(1);
    expect((await owner.client.delete(`${org}/invites/${invite.body.data.id}`)).status).toBe(200);
    expect((await invitee.client.post(`/api/user/invites/${newToken}/accept`)).body.code).toBe(
      'INVALID_OR_EXPIRED_TOKEN',
    );
  });
});
