import { describe, expect, it } from 'vitest';
import { ROLE_PERMISSIONS, ROLES, type Role, type RolePermission, roleHasPermission } from '../src/index.js';

/** The rule, written out: members read, admins also manage members, owners hold everything. */
const EXPECTED: Record<RolePermission, Record<Role, boolean>> = {
  'organization:read': { owner: true, admin: true, member: true },
  'organization:manage-members': { owner: true, admin: true, member: false },
  'organization:manage-billing': { owner: true, admin: false, member: false },
  'organization:manage-security': { owner: true, admin: false, member: false },
};

const PERMISSIONS = Object.keys(ROLE_PERMISSIONS) as RolePermission[];

describe('roleHasPermission', () => {
  it('knows exactly the permissions this table covers (a new one must be decided here)', () => {
    expect(PERMISSIONS.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(PERMISSIONS.flatMap((permission) => ROLES.map((role) => [role, permission] as const)))(
    '%s × %s follows the rule and ROLE_PERMISSIONS',
    (role, permission) => {
      expect(roleHasPermission(role, permission)).toBe(EXPECTED[permission][role]);
      expect(roleHasPermission(role, permission)).toBe(
        (ROLE_PERMISSIONS[permission] as readonly Role[]).includes(role),
      );
    },
  );

  it('ranks the roles: whatever a member may, an admin may; whatever an admin may, an owner may', () => {
    for (const permission of PERMISSIONS) {
      if (roleHasPermission('member', permission)) expect(roleHasPermission('admin', permission)).toBe(true);
      if (roleHasPermission('admin', permission)) expect(roleHasPermission('owner', permission)).toBe(true);
    }
  });

  it('grants nothing to a role it does not know (a stale read model, say)', () => {
    for (const permission of PERMISSIONS) {
      expect(roleHasPermission('billing' as Role, permission)).toBe(false);
      expect(roleHasPermission('' as Role, permission)).toBe(false);
    }
  });
});
