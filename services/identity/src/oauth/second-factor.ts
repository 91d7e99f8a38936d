import { type AuthenticatedPrincipal, MfaVerifyBody } from '@gatehouse/contracts';
import type { Static } from 'typebox';
import { Value } from 'typebox/value';

// What the login page decides about second factors, kept out of its handlers (oauth/routes.ts).

/**
 * Whether a session meets the account's second factor: it proved one, or the account has none — as
 * the gateway's principal says (identity fills both fields when it resolves a session). A principal
 * without them does not meet it: the login form is shown again.
 */
export function sessionMeetsFactors(principal: AuthenticatedPrincipal): boolean {
  return typeof principal.secondFactorAt === 'number' || principal.mfaEnrolled === false;
}

/** Whether the browser's Gatehouse session may skip the login form, and its `amr` for the ID token. */
export function sessionSignIn(principal: AuthenticatedPrincipal): { meetsFactors: boolean; amr: string[] | undefined } {
  return { meetsFactors: sessionMeetsFactors(principal), amr: principal.amr };
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
