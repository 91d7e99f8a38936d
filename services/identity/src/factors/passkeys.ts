import { queueMail } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
// @simplewebauthn/server (with @peculiar/x509 and asn1js, ≈ 3.6 MB of heap) is imported on the first
// ceremony, not at start: most processes never see one. Node's module cache memoises the import.
import type { AuthenticationResponseJSON, WebAuthnCredential } from '@simplewebauthn/server';
import type { IdentityContext } from '../context.js';
import { passkeyCloneSuspectedMail } from '../mail/templates.js';
import { accountAddress } from './account.js';
import { type MfaPasskey, MfaPasskeySchema } from './entities.js';
import { relyingParty } from './webauthn.js';

export type PasskeyCheck =
  | { ok: true; passkey: MfaPasskey; amr: 'hwk' | 'swk'; userVerified: boolean }
  | { ok: false; reason: 'unknown_credential' | 'not_verified' | 'counter_regression' | 'user_handle_mismatch' };

type Transports = WebAuthnCredential['transports'];

/**
 * The user handle a passkey of this account carries (registration sets `userID` to the id's UTF-8
 * bytes), base64url without padding as the browser sends it.
 */
export const userHandleOf = (userId: string) => Buffer.from(userId, 'utf8').toString('base64url');

/** Synced passkeys are software-held (`swk`); one bound to a single authenticator is hardware (`hwk`). */
export const amrOf = (deviceType: 'singleDevice' | 'multiDevice'): 'hwk' | 'swk' =>
  deviceType === 'multiDevice' ? 'swk' : 'hwk';

/** The library's own words for a counter that did not go up (it throws rather than answering). */
const COUNTER_REGRESSION = /counter value .* was lower than expected/i;

/**
 * Verifies an assertion (@simplewebauthn/server verifyAuthenticationResponse) against the stored passkey
 * with that credential id — of `userId` only when given (a second factor must be this account's) —
 * then advances its counter with a compare-and-set. A counter that did not go up (a copied authenticator)
 * is refused and the owner mailed (once a day per passkey). Never throws for a bad assertion.
 */
export async function checkPasskeyAssertion(
  ctx: IdentityContext,
  em: EntityManager,
  input: {
    response: AuthenticationResponseJSON;
    expectedChallenge: string;
    userId: string | null;
    requireUserVerification: boolean;
  },
): Promise<PasskeyCheck> {
  const passkey = await em.findOne(MfaPasskeySchema, {
    credentialId: input.response.id,
    ...(input.userId ? { userId: input.userId } : {}),
  });
  if (!passkey) return { ok: false, reason: 'unknown_credential' };
  const userHandle = input.response.response?.userHandle;
  if (userHandle && userHandle !== userHandleOf(passkey.userId)) return { ok: false, reason: 'user_handle_mismatch' };

  const verification = await verifyAssertion(ctx, input, passkey, passkey.counter);
  if (verification === 'counter_regression') {
    // The library checks the counter before the signature: only a genuinely signed assertion (checked
    // again without the stored counter) is a copied authenticator; anything else is a forgery, not news.
    const genuine = await verifyAssertion(ctx, input, passkey, 0);
    if (genuine === 'counter_regression' || genuine === null) return { ok: false, reason: 'not_verified' };
    await warnOfClone(em, passkey);
    return { ok: false, reason: 'counter_regression' };
  }
  if (verification === null) return { ok: false, reason: 'not_verified' };

  // Compare-and-set: of two assertions racing with one counter value, only one advances it.
  const advanced: Array<{ backed_up: boolean }> = await em.execute(
    `update mfa_passkeys set counter = ?, backed_up = ?, last_used_at = now()
      where id = ? and counter = ? returning backed_up`,
    [verification.newCounter, verification.credentialBackedUp, passkey.id, passkey.counter],
  );
  if (advanced.length === 0) return { ok: false, reason: 'counter_regression' };
  const now = new Date();
  passkey.counter = verification.newCounter;
  passkey.backedUp = verification.credentialBackedUp;
  passkey.lastUsedAt = now;
  return {
    ok: true,
    passkey,
    amr: amrOf(verification.credentialDeviceType),
    userVerified: verification.userVerified,
  };
}

interface VerifiedAssertion {
  newCounter: number;
  userVerified: boolean;
  credentialDeviceType: 'singleDevice' | 'multiDevice';
  credentialBackedUp: boolean;
}

/** The library's verdict: the facts, 'counter_regression', or null for anything else that failed. */
async function verifyAssertion(
  ctx: IdentityContext,
  input: { response: AuthenticationResponseJSON; expectedChallenge: string; requireUserVerification: boolean },
  passkey: MfaPasskey,
  storedCounter: number,
): Promise<VerifiedAssertion | 'counter_regression' | null> {
  const { rpID, origins } = relyingParty(ctx);
  const { verifyAuthenticationResponse } = await import('@simplewebauthn/server');
  try {
    const result = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: origins,
      expectedRPID: rpID,
      requireUserVerification: input.requireUserVerification,
      credential: {
        id: passkey.credentialId,
        publicKey: new Uint8Array(passkey.publicKey),
        counter: storedCounter,
        transports: passkey.transports as Transports,
      },
    });
    if (!result.verified) return null;
    const info = result.authenticationInfo;
    return {
      newCounter: info.newCounter,
      userVerified: info.userVerified,
      credentialDeviceType: info.credentialDeviceType,
      credentialBackedUp: info.credentialBackedUp,
    };
  } catch (error) {
    if (error instanceof Error && COUNTER_REGRESSION.test(error.message)) return 'counter_regression';
    return null;
  }
}

/** Mails the owner that a passkey may have been copied, at most once a day per passkey. */
async function warnOfClone(em: EntityManager, passkey: MfaPasskey): Promise<void> {
  const due: unknown[] = await em.execute(
    `update mfa_passkeys set clone_warned_at = now()
      where id = ? and (clone_warned_at is null or clone_warned_at < now() - interval '1 day') returning id`,
    [passkey.id],
  );
  if (due.length === 0) return;
  const { email } = await accountAddress(em, passkey.userId);
  queueMail(em, passkeyCloneSuspectedMail(email, passkey.name));
}

/** The account's passkeys, oldest first. */
export function passkeysOf(em: EntityManager, userId: string): Promise<MfaPasskey[]> {
  return em.find(MfaPasskeySchema, { userId }, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

/** Options for a second-factor assertion with the account's own passkeys (`userVerification: 'preferred'`). */
export async function assertionOptionsFor(
  ctx: IdentityContext,
  em: EntityManager,
  userId: string,
): Promise<Record<string, unknown> & { challenge: string }> {
  const passkeys = await passkeysOf(em, userId);
  const { generateAuthenticationOptions } = await import('@simplewebauthn/server');
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(ctx).rpID,
    allowCredentials: passkeys.map((passkey) => ({
      id: passkey.credentialId,
      transports: passkey.transports as Transports,
    })),
    userVerification: 'preferred',
    timeout: ctx.config.MFA_CHALLENGE_TTL_SECONDS * 1000,
  });
  return { ...options };
}
