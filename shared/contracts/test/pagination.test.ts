import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { listQuerySchema, MAX_PAGE_LIMIT, MAX_PAGE_OFFSET } from '../src/index.js';

const searchable = listQuerySchema({ sort: ['name', 'createdAt'], search: true });
const plain = listQuerySchema({ sort: ['at'] });

describe('listQuerySchema', () => {
  it('declares offset, limit, cursor and sort on every list, q only where the list searches', () => {
    expect(Object.keys(plain.properties).sort()).toEqual(['cursor', 'limit', 'offset', 'sort']);
    expect(Object.keys(searchable.properties).sort()).toEqual(['cursor', 'limit', 'offset', 'q', 'sort']);
  });

  it('refuses q on a list without search, and any field no list has', () => {
    expect(Value.Check(searchable, { offset: 0, limit: 20, q: 'a' })).toBe(true);
    expect(Value.Check(plain, { offset: 0, limit: 20, q: 'a' })).toBe(false);
    expect(Value.Check(searchable, { offset: 0, limit: 20, status: 'x' })).toBe(false);
  });

  it('sorts by each declared field either way, and by nothing else', () => {
    for (const sort of ['name', '-name', 'createdAt', '-createdAt']) {
      expect(Value.Check(searchable, { offset: 0, limit: 20, sort }), sort).toBe(true);
    }
    for (const sort of ['at', '--name', 'name ', 'id', '']) {
      expect(Value.Check(searchable, { offset: 0, limit: 20, sort }), sort).toBe(false);
    }
  });

  it('bounds offset, limit, q and cursor, and defaults offset and limit', () => {
    const valid = (query: Record<string, unknown>) => Value.Check(searchable, { offset: 0, limit: 20, ...query });
    expect(valid({ offset: MAX_PAGE_OFFSET })).toBe(true);
    expect(valid({ offset: MAX_PAGE_OFFSET + 1 })).toBe(false);
    expect(valid({ offset: -1 })).toBe(false);
    expect(valid({ limit: MAX_PAGE_LIMIT })).toBe(true);
    expect(valid({ limit: MAX_PAGE_LIMIT + 1 })).toBe(false);
    expect(valid({ limit: 0 })).toBe(false);
    expect(valid({ q: '' })).toBe(false);
    expect(valid({ q: 'x'.repeat(101) })).toBe(false);
    expect(valid({ cursor: '' })).toBe(false);
    expect(valid({ cursor: 'c'.repeat(513) })).toBe(false);
    expect(Value.Default(plain, {})).toEqual({ offset: 0, limit: 20 });
  });
});
