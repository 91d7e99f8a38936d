import { type AuthenticatedPrincipal, MfaVerifyBody } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import { Value } from 'typebox/value';
import { type IdentityContext, readEm } from '../context.js';
import { isEnrolled } from '../factors/status.js';

// What the login page decides about second factors, kept out of its handlers (oauth/routes.ts).

/**
 * Whether the browser's Gatehouse session may skip the login form: it proved a second factor, or the
 * account has none. The gateway's principal says so; without those fields (an older gateway), the
 * session row does. Its `amr` goes into the ID token.
 */
export async function sessionSignIn(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
): Promise<{ meetsFactors: boolean; amr: string[] | undefined }> {
  if (principal.secondFactorAt) return { meetsFactors: true, amr: principal.amr };
  if (principal.mfaEnrolled !== undefined && principal.secondFactorAt !== undefined) {
    return { meetsFactors: !principal.mfaEnrolled, amr: principal.amr };
  }
  const em = readEm(ctx);
  const rows: Array<{ amr: string[]; second_factor_at: Date | null }> = await em.execute(
    'select amr, second_factor_at from sessions where id = ?',
    [principal.credentialId],
  );
  const row = rows[0];
  if (!row) return { meetsFactors: false, amr: undefined };
  const meetsFactors = row.second_factor_at !== null || !(await isEnrolled(em, principal.userId));
  return { meetsFactors, amr: principal.amr ?? row.amr };
}

/**
 * The page's form as the JSON verify body: a passkey's `credential` arrives as the JSON text the page
 * script put there. Null when it is not a well-formed answer (no attempt is spent on it).
 */
export function mfaFormAnswer(form: {
  challengeId: string;
  type: 'totp' | 'recovery_code' | 'passkey';
  code?: string;
  credential?: string;
}): Static<typeof MfaVerifyBody> | null {
  let candidate: unknown;
  if (form.type === 'passkey') {
    try {
      candidate = { challengeId: form.challengeId, type: form.type, credential: JSON.parse(form.credential ?? '') };
    } catch {
      return null;
    }
  } else {
    // Typed codes: spaces around them are the browser's or the person's, not part of the code.
    candidate = { challengeId: form.challengeId, type: form.type, code: (form.code ?? '').trim() };
  }
  return Value.Check(MfaVerifyBody, candidate) ? candidate : null;
}

/** What a malformed answer of the second-factor page is told. */
export function answerHint(type: unknown): string {
  if (type === 'recovery_code') return 'Enter one of your recovery codes';
  if (type === 'passkey') return 'The passkey did not answer; try again or use a code';
  return 'Enter the 6-digit code from your authenticator app';
}
