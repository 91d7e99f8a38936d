import { expect } from 'vitest';
import type { ApiClient, Json } from './client.js';
import { signedInUser, verifiedUser } from './flows.js';
import type { Stack } from './stack.js';
import { totpCode } from './totp.js';

/**
 * Helpers the second-factor suites share: an authenticator app turned on through the API, a session's
 * second factor aged by SQL, and identity's session rows.
 */

/**
 * Raised gateway budgets for suites that count attempts themselves, or sign up and in many times from
 * 127.0.0.1 (the budgets have their own suite, mfa-limits).
 */
export const GENEROUS_LIMITS: Record<string, string> = {
  RATE_LIMIT_SIGN_IN_MAX: '1000',
  RATE_LIMIT_SIGN_UP_MAX: '1000',
  RATE_LIMIT_EMAIL_MAX: '1000',
  RATE_LIMIT_MFA_MAX: '1000',
  RATE_LIMIT_MFA_IP_MAX: '1000',
  RATE_LIMIT_PASSKEY_MAX: '1000',
  RATE_LIMIT_API_KEY_CREATE_MAX: '1000',
};

/** Runs SQL against identity's database. */
export function identitySql(stack: Stack, query: string, params: unknown[] = []): Promise<Json[]> {
  return stack.identity.deps.orm.em.fork().execute(query, params);
}

/**
 * Turns on an authenticator app with the client's session (the confirmation proves the factor in that
 * session). The confirming code's time step is then spent: a sign-in or step-up needs another step's code.
 */
export async function enableTotp(client: ApiClient): Promise<{ secret: string; recoveryCodes: string[] }> {
  const enrolled = await client.post('/api/user/mfa/totp/enroll', {});
  expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
  const secret: string = enrolled.body.data.secret;
  const confirmed = await client.post('/api/user/mfa/totp/confirm', { code: totpCode(secret) });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  return { secret, recoveryCodes: confirmed.body.data.recoveryCodes };
}

/** A signed-up (or, with `verified`, email-verified) signed-in user with an authenticator app turned on. */
export async function userWithTotp(stack: Stack, name = 'Two Step', options: { verified?: boolean } = {}) {
  const user = options.verified ? await verifiedUser(stack, name) : await signedInUser(stack, name);
  return { ...user, ...(await enableTotp(user.client)) };
}

export type TotpUser = Awaited<ReturnType<typeof userWithTotp>>;

/**
 * Makes the second factor of one session, or of all the account's sessions, `ageSeconds` old (by default
 * just past MFA_STEP_UP_SECONDS) instead of waiting it out: step-up reads `sessions.second_factor_at`
 * itself, not a cached principal.
 */
export async function ageSecondFactor(
  stack: Stack,
  of: { sessionId: string } | { userId: string },
  ageSeconds = stack.identity.deps.config.MFA_STEP_UP_SECONDS + 1,
): Promise<void> {
  const [column, id] = 'sessionId' in of ? ['id', of.sessionId] : ['user_id', of.userId];
  await identitySql(
    stack,
    `update sessions set second_factor_at = now() - make_interval(secs => ?) where ${column} = ?`,
    [ageSeconds, id],
  );
}

/** The client's current session as the API lists it (`amr`, `secondFactorAt`, …). */
export async function currentSession(client: ApiClient): Promise<Json> {
  const sessions = await client.get('/api/user/sessions');
  expect(sessions.status, JSON.stringify(sessions.body)).toBe(200);
  const current = sessions.body.data.find((session: Json) => session.current);
  expect(current, 'no current session in /api/user/sessions').toBeDefined();
  return current;
}

export interface SessionRow {
  amr: string[];
  second_factor_at: Date | null;
  sso_connection_id: string | null;
}

/** A session's row in identity's database. */
export async function sessionRow(stack: Stack, sessionId: string): Promise<SessionRow> {
  const [row] = await identitySql(stack, 'select amr, second_factor_at, sso_connection_id from sessions where id = ?', [
    sessionId,
  ]);
  return row as SessionRow;
}
