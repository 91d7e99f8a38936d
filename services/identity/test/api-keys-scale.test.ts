import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type IdentityBench,
  KEY_TABLES,
  type KeyScale,
  keyScenarios,
  MAX_EXAMINED_PER_TABLE,
  seedKeys,
  startIdentityContext,
} from '../../../bench/api-keys-plan.js';
import { type Scenario, scenarioProblems } from '../../../bench/plan-shape.js';

/**
 * Issue #21's scale check at a size that seeds in seconds: the same operations `pnpm bench:plans` runs for
 * a user with 500 keys, held to plans whose cost follows the page — index access, no sequential scan of a
 * big table, a few pages' worth of rows examined at most (a count from an index alone). Plans, never timings.
 */
const SCALE: KeyScale = { keys: 500, elsewhere: 20_000, users: 2_000 };

let bench: IdentityBench;
let scenarios: Scenario[];
beforeAll(async () => {
  bench = await startIdentityContext(SCALE);
  await seedKeys(bench.ctx, SCALE);
  scenarios = await keyScenarios(bench.ctx, SCALE);
}, 120_000);
afterAll(async () => {
  await bench?.close();
});

const scenario = (title: string) => {
  const found = scenarios.find((candidate) => candidate.title.startsWith(title));
  if (!found) throw new Error(`no scenario ${title}`);
  return found;
};

describe(`a user with ${SCALE.keys} API keys among ${SCALE.keys + SCALE.elsewhere}`, () => {
  it('lists, creates, revokes, deletes and resolves keys by index, a few pages of rows at most', () => {
    expect(scenarioProblems(scenarios, KEY_TABLES, MAX_EXAMINED_PER_TABLE)).toEqual([]);
  });

  it('walks every sort of the list in its own index, page first', () => {
    const indexes: Record<string, string> = {
      name: 'api_keys_user_name_idx',
      '-name': 'api_keys_user_name_idx',
      lastUsedAt: 'api_keys_user_last_used_idx',
      '-lastUsedAt': 'api_keys_user_last_used_idx',
      createdAt: 'api_keys_user_idx',
    };
    for (const [sort, index] of Object.entries(indexes)) {
      const [page] = scenario(`keys list, sorted by ${sort}`).shapes;
      expect(page?.tables.api_keys?.scans, sort).toEqual([`Index Scan using ${index}`]);
      expect(page?.tables.api_keys?.examined, sort).toBe(21);
    }
  });

  it('starts a deep cursor page at the cursor', () => {
    for (const title of ['keys list, cursor page', 'keys list by name, cursor page']) {
      const shapes = scenario(title).shapes;
      expect(shapes).toHaveLength(1);
      expect(shapes[0]?.counted).toEqual({}); // a cursor page counts nothing
      expect(shapes[0]?.tables.api_keys?.examined).toBeLessThanOrEqual(22 + 1);
    }
  });

  it('counts the live keys for the cap from the enabled keys’ index alone', () => {
    const [cap] = scenario('key created').shapes.filter((shape) => /as live_keys/.test(shape.sql));
    expect(cap?.counted.api_keys?.scans).toEqual(['Index Only Scan using api_keys_user_enabled_idx']);
    // Explained after the creation: only the key it inserted is not yet all-visible.
    expect(cap?.counted.api_keys?.heapFetches).toBeLessThanOrEqual(1);
  });

  it('resolves a presented key by its hash: one row of api_keys, one of users', () => {
    const shapes = scenario('credential resolution').shapes;
    expect(shapes[0]?.tables.api_keys?.scans).toEqual(['Index Scan using api_keys_key_hash_key']);
    expect(shapes[0]?.tables.api_keys?.examined).toBe(1);
    const users = shapes.map((shape) => shape.tables.users).filter((access) => access !== undefined);
    expect(users.map((access) => access.examined)).toEqual([1]);
  });

  it('finds a revoked key’s delegations through the parent index', () => {
    const [lineage] = scenario('key revoked').shapes.filter((shape) => /with recursive lineage/.test(shape.sql));
    expect(lineage?.tables.api_keys?.scans).toEqual(['Index Scan using api_keys_parent_idx']);
    expect(lineage?.rows).toBe(3);
  });
});
