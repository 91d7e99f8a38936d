import { testNamespace } from '@gatehouse/service-kit/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_EXAMINED_PER_TABLE,
  MEMBER_TABLES,
  type MemberScale,
  memberScenarios,
  readModelScenarios,
  seedOrganization,
} from '../../../bench/members-plan.js';
import { type Scenario, scenarioProblems } from '../../../bench/plan-shape.js';
import { type OrganizationHarness, useOrganization } from './harness.js';

/**
 * Issue #21's scale check at a size that seeds in seconds: the same operations `pnpm bench:plans` runs on
 * 50,000 members, held to plans whose cost follows the page — index access, no sequential scan of a big
 * table, a few pages' worth of rows examined at most (a count from an index alone). Plans, never timings.
 */
const SCALE: MemberScale = { members: 4_000, elsewhere: 16_000, organizations: 1_000 };

let h: OrganizationHarness;
useOrganization((started) => {
  h = started;
});

let scenarios: Scenario[];
beforeAll(async () => {
  await seedOrganization(h.ctx.deps.orm, SCALE);
  scenarios = await memberScenarios(h, SCALE);
  scenarios.push(...(await readModelScenarios(testNamespace().databaseUrl('memberships'), SCALE)));
}, 120_000);

const scenario = (title: string) => {
  const found = scenarios.find((candidate) => candidate.title.startsWith(title));
  if (!found) throw new Error(`no scenario ${title}`);
  return found;
};

describe(`an organization of ${SCALE.members} members among ${SCALE.members + SCALE.elsewhere}`, () => {
  it('reads every page, check and change by index, a few pages of rows at most', () => {
    expect(scenarioProblems(scenarios, MEMBER_TABLES, MAX_EXAMINED_PER_TABLE)).toEqual([]);
  });

  it('checks a membership with one index lookup, in organization and in the read models', () => {
    for (const title of ['membership check per tenant request', "project's membership read model"]) {
      const [check] = scenario(title).shapes;
      const access = check?.tables.members ?? check?.tables.memberships;
      expect(access?.scans.every((scan) => scan.startsWith('Index'))).toBe(true);
      expect(access?.examined).toBeLessThanOrEqual(1);
    }
  });

  it('walks a deep cursor page from the cursor: one page and its look-ahead row', () => {
    const [page, ...rest] = scenario('members list, cursor page').shapes;
    expect(rest).toEqual([]);
    expect(page?.counted).toEqual({}); // a cursor page counts nothing
    expect(page?.tables.members?.scans).toEqual(['Index Scan using members_org_joined_idx']);
    expect(page?.tables.members?.examined).toBeLessThanOrEqual(22 + 1);
    expect(page?.rows).toBe(21);
  });

  it('counts the total from an index alone', () => {
    const counts = scenario('members list, first page').shapes.filter((shape) => shape.counted.members);
    expect(counts).toHaveLength(1);
    const { members, directory_users } = counts[0]!.counted;
    expect(members?.scans.every((scan) => scan.startsWith('Index Only Scan'))).toBe(true);
    expect(members?.examined).toBe(SCALE.members);
    expect(directory_users).toBeUndefined(); // the directory join is left out of the count
  });

  it('finds a rare search match by the directory’s trigram indexes, not by walking the members', () => {
    for (const shape of scenario('members list, search matching one member').shapes) {
      for (const part of [shape.tables, shape.counted]) {
        if (!part.directory_users) continue;
        expect(part.directory_users.scans).toEqual(['Bitmap Heap Scan']);
        expect(part.members?.examined).toBeLessThanOrEqual(2);
      }
      expect(shape.outline).toMatch(/directory_users_(name|email)_trgm_idx/);
    }
  });

  it('keeps the last-owner rule to the owners’ index', () => {
    const owners = scenario('role change of an owner').shapes.filter((shape) => /"role" = 'owner'/.test(shape.sql));
    expect(owners).toHaveLength(1);
    expect(owners[0]?.tables.members?.scans).toEqual(['Index Scan using members_owners_idx']);
  });
});
