import { SCIM_MAX_GROUP_MEMBERS } from '@gatehouse/contracts';
import { describe, expect, it } from 'vitest';
import { chunked, rankedMapping, roleRank, wantedRole } from '../src/directory-roles/roles.js';
import { planGroupPatch } from '../src/scim-groups/patch-plan.js';
import { wantsMembers } from '../src/scim-groups/present.js';

/** The role rules of directory sync and the Group PATCH planner, without a database. */
const directory = {
  defaultRole: 'member' as const,
  roleMapping: [
    { group: 'Engineering Admins', role: 'admin' as const },
    { group: 'Owners', role: 'owner' as const },
    { group: 'everyone', role: 'member' as const },
  ],
};
const person = (groups: string[], state: { active?: boolean; deleted?: boolean } = {}) => ({
  active: state.active ?? true,
  deleted: state.deleted ?? false,
  groups,
});

describe('the role a directory wants for a person', () => {
  it('is the highest role of their mapped groups: owner > admin > member', () => {
    expect(wantedRole(person(['everyone', 'Engineering Admins']), directory)).toBe('admin');
    expect(wantedRole(person(['Owners', 'Engineering Admins', 'everyone']), directory)).toBe('owner');
    expect(wantedRole(person(['everyone']), directory)).toBe('member');
  });

  it('compares group names case-insensitively', () => {
    expect(wantedRole(person(['ENGINEERING ADMINS']), directory)).toBe('admin');
    expect(wantedRole(person(['owners']), directory)).toBe('owner');
  });

  it('is the default role in no mapped group (or in none at all)', () => {
    expect(wantedRole(person([]), directory)).toBe('member');
    expect(wantedRole(person(['Marketing']), { ...directory, defaultRole: 'admin' })).toBe('admin');
  });

  it('is a mapped group’s role even below the default (the mapping is explicit)', () => {
    expect(wantedRole(person(['everyone']), { ...directory, defaultRole: 'admin' })).toBe('member');
  });

  it('is null while the person is inactive or deleted, whatever their groups', () => {
    expect(wantedRole(person(['Owners'], { active: false }), directory)).toBeNull();
    expect(wantedRole(person(['Owners'], { deleted: true }), directory)).toBeNull();
  });

  it('takes the stronger of two rules naming the same group', () => {
    const twice = {
      defaultRole: 'member' as const,
      roleMapping: [
        { group: 'Leads', role: 'admin' as const },
        { group: 'leads', role: 'owner' as const },
      ],
    };
    expect(rankedMapping(twice.roleMapping)).toEqual([{ group: 'leads', rank: roleRank('owner') }]);
    expect(wantedRole(person(['LEADS']), twice)).toBe('owner');
  });

  it('ranks roles in one order and cuts changes into events of a given size', () => {
    expect(['member', 'admin', 'owner'].map((role) => roleRank(role as 'member'))).toEqual([1, 2, 3]);
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([], 500)).toEqual([]);
  });
});

describe('planning a Group PATCH', () => {
  const ids = (set: Set<string> | null) => (set ? [...set].sort() : null);

  it('reads Okta’s add and filtered remove', () => {
    const plan = planGroupPatch([
      { op: 'add', path: 'members', value: [{ value: 'a', display: 'a@acme.example' }] },
      { op: 'remove', path: 'members[value eq "b"]' },
    ]);
    expect(ids(plan.members.replace)).toBeNull();
    expect(ids(plan.members.add)).toEqual(['a']);
    expect(ids(plan.members.remove)).toEqual(['b']);
    expect(plan.attributes).toEqual([]);
  });

  it('reads Entra’s capitalised ops, `$ref: null`, and a Remove with a value list', () => {
    const plan = planGroupPatch([
      { op: 'Add', path: 'members', value: [{ $ref: null, value: 'a' }] },
      { op: 'Remove', path: 'members', value: [{ $ref: null, value: 'b' }] },
      { op: 'Replace', path: 'displayName', value: 'Renamed' },
    ]);
    expect(ids(plan.members.add)).toEqual(['a']);
    expect(ids(plan.members.remove)).toEqual(['b']);
    expect(plan.attributes).toEqual([{ op: 'replace', path: 'displayName', value: 'Renamed' }]);
  });

  it('applies operations in order: a later remove cancels an earlier add, and the other way round', () => {
    const plan = planGroupPatch([
      { op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b' }] },
      { op: 'remove', path: 'members[value eq "a" or value eq "c"]' },
      { op: 'add', path: 'members', value: { value: 'c' } },
    ]);
    expect(ids(plan.members.add)).toEqual(['b', 'c']);
    expect(ids(plan.members.remove)).toEqual(['a']);
  });

  it('turns a replace, or a remove of every member, into the exact set wanted', () => {
    expect(ids(planGroupPatch([{ op: 'replace', path: 'members', value: [{ value: 'x' }] }]).members.replace)).toEqual([
      'x',
    ]);
    const emptied = planGroupPatch([
      { op: 'add', path: 'members', value: [{ value: 'a' }] },
      { op: 'remove', path: 'members' },
      { op: 'add', path: 'members', value: [{ value: 'b' }] },
    ]);
    expect(ids(emptied.members.replace)).toEqual(['b']);
    expect(emptied.members.add.size + emptied.members.remove.size).toBe(0);
  });

  it('splits a replace without a path: members planned, read-only attributes dropped, the rest to the engine', () => {
    const plan = planGroupPatch([
      {
        op: 'replace',
        value: {
          id: 'g1',
          displayName: 'Test SCIMv2',
          members: [{ value: 'm' }],
          'urn:ietf:params:scim:schemas:core:2.0:Group:externalId': 'e',
        },
      },
    ]);
    expect(ids(plan.members.replace)).toEqual(['m']);
    expect(plan.attributes).toEqual([{ op: 'replace', value: { displayName: 'Test SCIMv2', externalId: 'e' } }]);
  });

  it('takes URN-prefixed and differently cased member paths', () => {
    const plan = planGroupPatch([
      { op: 'add', path: 'urn:ietf:params:scim:schemas:core:2.0:Group:members', value: [{ value: 'a' }] },
      { op: 'remove', path: 'Members[Value eq "b"]' },
    ]);
    expect(ids(plan.members.add)).toEqual(['a']);
    expect(ids(plan.members.remove)).toEqual(['b']);
  });

  it('refuses what it cannot mean, with the SCIM error type that says why', () => {
    const refused = (operations: Parameters<typeof planGroupPatch>[0]) => {
      try {
        planGroupPatch(operations);
      } catch (error) {
        return { status: (error as { status: number }).status, scimType: (error as { scimType: string }).scimType };
      }
      throw new Error('expected a refusal');
    };
    expect(refused([{ op: 'remove' }])).toEqual({ status: 400, scimType: 'noTarget' });
    expect(refused([{ op: 'copy', path: 'members' }])).toEqual({ status: 400, scimType: 'invalidSyntax' });
    expect(refused([{ op: 'add', path: 'members', value: [{ value: 7 }] }])).toEqual({
      status: 400,
      scimType: 'invalidValue',
    });
    expect(refused([{ op: 'remove', path: 'members[display eq "x"]' }])).toEqual({
      status: 400,
      scimType: 'invalidFilter',
    });
    expect(refused([{ op: 'remove', path: 'members[value eq ]' }])).toEqual({ status: 400, scimType: 'invalidFilter' });
    expect(refused([{ op: 'remove', path: 'members[value eq "x"' }])).toEqual({ status: 400, scimType: 'invalidPath' });
    expect(refused([{ op: 'replace', path: 'members[value eq "x"]', value: {} }])).toEqual({
      status: 400,
      scimType: 'invalidPath',
    });
    expect(refused([{ op: 'replace', path: 'members.display', value: 'x' }])).toEqual({
      status: 400,
      scimType: 'invalidPath',
    });
    expect(refused([{ op: 'add', value: ['not', 'a', 'map'] }])).toEqual({ status: 400, scimType: 'invalidValue' });
    const tooMany = Array.from({ length: SCIM_MAX_GROUP_MEMBERS + 1 }, (_, index) => ({ value: `u${index}` }));
    expect(refused([{ op: 'add', path: 'members', value: tooMany }])).toEqual({
      status: 400,
      scimType: 'invalidValue',
    });
  });
});

describe('whether an answer carries members', () => {
  it('follows excludedAttributes and attributes', () => {
    expect(wantsMembers({})).toBe(true);
    expect(wantsMembers({ excludedAttributes: 'members' })).toBe(false);
    expect(wantsMembers({ excludedAttributes: 'externalId, Members' })).toBe(false);
    expect(wantsMembers({ attributes: 'displayName' })).toBe(false);
    expect(wantsMembers({ attributes: 'displayName,members.value' })).toBe(true);
    expect(wantsMembers({ excludedAttributes: 'urn:ietf:params:scim:schemas:core:2.0:Group:members' })).toBe(false);
  });
});
