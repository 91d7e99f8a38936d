import { type MemberCountReply, type MemberCountRequest, newId, RPC_SUBJECTS } from '@gatehouse/contracts';
import { requestRpc } from '@gatehouse/service-kit';
import type { Subscription } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteOrganization } from '../src/organizations/service.js';
import { serveOrganizationRpc } from '../src/rpc.js';
import { directoryUser, type OrganizationHarness, organizationWith, tenantOf, useOrganization } from './harness.js';

/** organization.members.count: billing's checkout asks how many seats the members need now. */
let h: OrganizationHarness;
let responders: Subscription[] = [];
useOrganization((started) => {
  h = started;
});
beforeAll(() => {
  responders = serveOrganizationRpc(h.ctx);
});
afterAll(() => {
  for (const responder of responders) responder.unsubscribe();
});

function countMembers(organizationId: string) {
  const { nc, subject } = h.ctx.deps.messaging;
  return requestRpc<MemberCountRequest, MemberCountReply>(nc, subject(RPC_SUBJECTS.countMembers), { organizationId });
}

describe('counting an organization’s members (organization.members.count)', () => {
  it('answers how many members the organization has, its owners included', async () => {
    const owner = await directoryUser(h, 'owner');
    const { organizationId } = await organizationWith(h, owner, [
      { userId: await directoryUser(h, 'ada'), role: 'admin' },
      { userId: await directoryUser(h, 'bob'), role: 'member' },
    ]);
    expect(await countMembers(organizationId)).toEqual({ found: true, members: 3 });
  });

  it('answers found: false for an organization that never existed or was deleted', async () => {
    expect(await countMembers(newId())).toEqual({ found: false });
    const owner = await directoryUser(h, 'owner');
    const { organizationId } = await organizationWith(h, owner);
    await deleteOrganization(h.ctx, await tenantOf(h, organizationId, owner), newId());
    expect(await countMembers(organizationId)).toEqual({ found: false });
  });
});
