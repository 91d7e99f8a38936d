import { type Algorithm, hash, verify } from '@node-rs/argon2';

/** Algorithm.Argon2id; the package ships it as a const enum, which isolated modules cannot read. */
const ARGON2ID = 2 as Algorithm;

export interface Argon2Params {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** The two argon2 calls, a seam so a unit test can see which hash was checked. */
export interface Argon2 {
  hash: typeof hash;
  verify: typeof verify;
}

/** argon2id, at least OWASP's minimum (m=19 MiB, t=2, p=1); the parameters come from config. */
export class PasswordHasher {
  private dummyHash: Promise<string>;

  constructor(
    private readonly params: Argon2Params,
    private readonly argon: Argon2 = { hash, verify },
  ) {
    // Verifying against this when the email is unknown makes both failures cost the same time.
    this.dummyHash = this.hash('dummy-password-for-timing-equalisation');
  }

  hash(password: string): Promise<string> {
    return this.argon.hash(password, { algorithm: ARGON2ID, ...this.params });
  }

  async verify(passwordHash: string | null, password: string): Promise<boolean> {
    const target = passwordHash ?? (await this.dummyHash);
    try {
      const matches = await this.argon.verify(target, password);
      return passwordHash !== null && matches;
    } catch {
      return false;
    }
  }

  /** True when a stored hash was made with other parameters than today's config. */
  needsRehash(passwordHash: string): boolean {
    const match = passwordHash.match(/^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/);
    if (!match) return true;
    const [, m, t, p] = match;
    return (
      Number(m) !== this.params.memoryCost ||
      Number(t) !== this.params.timeCost ||
      Number(p) !== this.params.parallelism
    );
  }
}
