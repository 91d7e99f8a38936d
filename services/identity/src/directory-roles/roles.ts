import type { Role } from '@gatehouse/contracts';

/**
 * The role logic of directory sync, without the database: service.ts runs the same rules as one SQL
 * statement, fed by `rankedMapping`; `wantedRole` states them for one person (and the tests).
 */

/** Lowest first: a rank is the index + 1, so a higher rank is the stronger role. */
export const ROLES_BY_RANK: readonly Role[] = ['member', 'admin', 'owner'];

export function roleRank(role: Role): number {
  return ROLES_BY_RANK.indexOf(role) + 1;
}

/** What directory-roles needs of a directory (structural, so this folder imports nothing of directories/). */
export interface DirectoryRoleSettings {
  id: string;
  organizationId: string;
  defaultRole: Role;
  roleMapping: ReadonlyArray<{ group: string; role: Role }>;
}

/**
 * The mapping as SQL compares it: each group name lower-cased (display names compare case-insensitively),
 * once, with the highest role any of its rules gives (two rules for "Admins" → the stronger wins).
 */
export function rankedMapping(mapping: DirectoryRoleSettings['roleMapping']): Array<{ group: string; rank: number }> {
  const best = new Map<string, number>();
  for (const rule of mapping) {
    const group = rule.group.toLowerCase();
    best.set(group, Math.max(best.get(group) ?? 0, roleRank(rule.role)));
  }
  return [...best].map(([group, rank]) => ({ group, rank }));
}

export interface PersonInDirectory {
  active: boolean;
  deleted: boolean;
  /** The display names of the groups they are in. */
  groups: readonly string[];
}

/**
 * Null while inactive or deleted (they leave the organization); else the highest role the mapped groups
 * they are in give (owner > admin > member); in no mapped group, the directory's default.
 */
export function wantedRole(
  person: PersonInDirectory,
  directory: Pick<DirectoryRoleSettings, 'defaultRole' | 'roleMapping'>,
): Role | null {
  if (!person.active || person.deleted) return null;
  const ranks = new Map(rankedMapping(directory.roleMapping).map(({ group, rank }) => [group, rank]));
  const best = Math.max(0, ...person.groups.map((group) => ranks.get(group.toLowerCase()) ?? 0));
  return best > 0 ? (ROLES_BY_RANK[best - 1] as Role) : directory.defaultRole;
}

/** Consecutive slices of at most `size` (events carry at most DIRECTORY_CHANGES_PER_EVENT changes). */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
