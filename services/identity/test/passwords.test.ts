import { hash, verify } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { PasswordHasher } from '../src/users/passwords.js';

const params = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

describe('PasswordHasher', () => {
  it('hashes with argon2id at the configured cost', async () => {
    const hasher = new PasswordHasher(params);
    const digest = await hasher.hash('correct horse battery staple');
    expect(digest).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(digest, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(digest, 'wrong')).toBe(false);
  });

  it('runs a full argon2 verification for an unknown account too (same cost as a wrong password)', async () => {
    const checked: string[] = [];
    const hasher = new PasswordHasher(params, {
      hash,
      verify: async (digest, password) => {
        checked.push(String(digest));
        return verify(digest, password);
      },
    });
    expect(await hasher.verify(null, 'dummy-password-for-timing-equalisation')).toBe(false);
    expect(checked).toHaveLength(1);
    expect(checked[0]).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('asks for a re-hash when the configured parameters changed', async () => {
    const old = await new PasswordHasher(params).hash('pw-pw-pw-pw');
    expect(new PasswordHasher(params).needsRehash(old)).toBe(false);
    expect(new PasswordHasher({ ...params, timeCost: 3 }).needsRehash(old)).toBe(true);
    expect(new PasswordHasher(params).needsRehash('$2b$10$bcrypt-hash')).toBe(true);
  });
});
