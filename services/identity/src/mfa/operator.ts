import { SealError } from '@gatehouse/service-kit';
import { commit, type IdentityContext } from '../context.js';
import { totpAad } from '../factors/totp.js';
import { endEveryCredential } from '../recovery/end-every-credential.js';
import { findUserByEmail } from '../users/queries.js';

export interface ResealReport {
  /** Rows looked at. */
  scanned: number;
  /** Sealed again with the first key of MFA_ENCRYPTION_KEY. */
  resealed: number;
  /** Sealed with a key no longer listed (or damaged): left as they are, each logged. */
  unopenable: string[];
}

/**
 * Key rotation, step 2 (docs/mfa.md): seals again, with the key that seals now, every authenticator
 * secret sealed with another one, in batches by user id. Each write is a compare-and-set on the old
 * sealed value, so a secret re-sealed lazily at sign-in (or replaced by a new enrolment) meanwhile is
 * left alone. Safe to run again; once `unopenable` is empty the old key can be dropped.
 */
export async function resealTotpSecrets(ctx: IdentityContext, batchSize = 200): Promise<ResealReport> {
  const report: ResealReport = { scanned: 0, resealed: 0, unopenable: [] };
  let after = '';
  for (;;) {
    const rows: Array<{ user_id: string; secret_sealed: string }> = await ctx.deps.orm.em
      .fork()
      .execute('select user_id, secret_sealed from mfa_totp where user_id > ? order by user_id limit ?', [
        after,
        batchSize,
      ]);
    if (rows.length === 0) return report;
    report.scanned += rows.length;
    after = rows[rows.length - 1]?.user_id ?? after;
    const due = rows.filter((row) => !ctx.mfaKeys.isCurrent(row.secret_sealed));
    if (due.length === 0) continue;
    await commit(ctx, async (em) => {
      for (const row of due) {
        let secret: string;
        try {
          secret = ctx.mfaKeys.open(row.secret_sealed, totpAad(row.user_id));
        } catch (error) {
          if (!(error instanceof SealError)) throw error;
          ctx.deps.logger.error({ userId: row.user_id, problem: error.message }, 'authenticator secret does not open');
          report.unopenable.push(row.user_id);
          continue;
        }
        const written: unknown[] = await em.execute(
          'update mfa_totp set secret_sealed = ? where user_id = ? and secret_sealed = ? returning user_id',
          [ctx.mfaKeys.seal(secret, totpAad(row.user_id)), row.user_id, row.secret_sealed],
        );
        report.resealed += written.length;
      }
    });
  }
}

/**
 * "Lost every factor" without recovery codes (docs/mfa.md): after the operator has confirmed who is
 * asking, every second factor of the account goes and so does every credential (sessions, keys,
 * grants, app secrets, outstanding links), as when ownership is proven again. The owner is mailed.
 */
export async function resetFactorsOf(ctx: IdentityContext, email: string): Promise<{ userId: string } | null> {
  return commit(ctx, async (em) => {
    const user = await findUserByEmail(em, email);
    if (!user) return null;
    await endEveryCredential(ctx, em, user.id, { reach: 'recovery', forgetFactors: true });
    return { userId: user.id };
  });
}
