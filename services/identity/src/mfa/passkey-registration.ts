import { AppError, type AuthenticatedPrincipal, conflict, newId, notFound } from '@gatehouse/contracts';
import { findPage, type PageRequest } from '@gatehouse/service-kit';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { commit, type IdentityContext, readEm } from '../context.js';
import { accountAddress } from '../factors/account.js';
import { MfaPasskeySchema, presentPasskey } from '../factors/entities.js';
import { amrOf, passkeysOf } from '../factors/passkeys.js';
import { replaceRecoveryCodes } from '../factors/recovery-codes.js';
import { markSecondFactor } from '../factors/session-proof.js';
import { isEnrolled } from '../factors/status.js';
import { requireFreshSecondFactor } from '../factors/step-up.js';
import { relyingParty } from '../factors/webauthn.js';
import { passkeyAddedMail, passkeyRemovedMail } from '../mail/templates.js';
import { expiredChallenge, findByHandle, spendChallenge } from '../mfa-challenges/handle.js';
import { insertChallenge } from '../mfa-challenges/rows.js';
import { announceFactorChange, dropRecoveryCodesIfLast, lockFactorsOf } from './factor-changes.js';
import { passkeyNameFor } from './passkey-names.js';

/** Enough for every device a person uses; more is a script filling the table. */
export const MAX_PASSKEYS_PER_ACCOUNT = 20;

const passkeyLimit = () =>
  conflict('PASSKEY_LIMIT', `An account holds at most ${MAX_PASSKEYS_PER_ACCOUNT} passkeys; remove one first`);

/**
 * Starts adding a passkey: a `passkey_registration` ceremony bound to the calling session, and
 * creation options for a discoverable credential with user verification (the account's passkeys
 * excluded, so one authenticator is not registered twice). Adding next to a factor needs step-up.
 */
export async function startPasskeyRegistration(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  client: { ip: string | null; userAgent: string | null },
) {
  await requireFreshSecondFactor(ctx, principal);
  const { userId } = principal;
  const em = readEm(ctx);
  const passkeys = await passkeysOf(em, userId);
  if (passkeys.length >= MAX_PASSKEYS_PER_ACCOUNT) throw passkeyLimit();
  const account = await accountAddress(em, userId);
  const { rpID, rpName } = relyingParty(ctx);
  // Imported on the first ceremony, not at start (see factors/passkeys.ts).
  const { generateRegistrationOptions } = await import('@simplewebauthn/server');
  const options = await generateRegistrationOptions({
    rpName,
    rpID,
    userName: account.email,
    userDisplayName: account.fullName,
    // The account id (a ULID, no personal data) is the user handle a passwordless sign-in names.
    userID: new TextEncoder().encode(userId),
    attestationType: 'none',
    excludeCredentials: passkeys.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    timeout: ctx.config.MFA_CHALLENGE_TTL_SECONDS * 1000,
  });
  const { handle } = await commit(ctx, (tx) =>
    insertChallenge(ctx, tx, {
      purpose: 'passkey_registration',
      userId,
      client,
      sessionId: principal.credentialId,
      webauthnChallenge: options.challenge,
      rememberMe: false,
    }),
  );
  return { ceremonyId: handle, options: { ...options } };
}

/**
 * Adds the passkey the browser created for a ceremony of this session. The ceremony is spent first,
 * in its own transaction, so a refused attestation cannot be retried against the same challenge.
 * The first factor of an account also answers its recovery codes; the session has just proven it.
 */
export async function finishPasskeyRegistration(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  input: { ceremonyId: string; credential: unknown; name?: string; userAgent: string | null },
  requestId: string,
) {
  const { userId } = principal;
  const expectedChallenge = await commit(ctx, async (em) => {
    const ceremony = await findByHandle(ctx, em, input.ceremonyId, ['passkey_registration']);
    if (!ceremony) throw expiredChallenge();
    if (ceremony.userId !== userId || ceremony.sessionId !== principal.credentialId) {
      throw new AppError('FORBIDDEN', 'This passkey was started by another session; start again here');
    }
    await spendChallenge(em, ceremony.id);
    if (!ceremony.webauthnChallenge) throw expiredChallenge();
    return ceremony.webauthnChallenge;
  });

  const { rpID, origins } = relyingParty(ctx);
  const { verifyRegistrationResponse } = await import('@simplewebauthn/server');
  const registration = await verifyRegistrationResponse({
    response: input.credential as RegistrationResponseJSON,
    expectedChallenge,
    expectedOrigin: origins,
    expectedRPID: rpID,
    requireUserVerification: true,
  }).catch(() => null);
  if (!registration?.verified) {
    throw new AppError('INVALID_CREDENTIALS', 'The passkey could not be verified; try again', { field: 'credential' });
  }
  const info = registration.registrationInfo;

  return commit(ctx, async (em) => {
    await lockFactorsOf(em, userId);
    if ((await em.count(MfaPasskeySchema, { userId })) >= MAX_PASSKEYS_PER_ACCOUNT) throw passkeyLimit();
    if (await em.count(MfaPasskeySchema, { credentialId: info.credential.id })) {
      throw conflict('PASSKEY_EXISTS', 'This passkey is already registered');
    }
    const firstFactor = !(await isEnrolled(em, userId));
    // Checked again here, under the lock: a factor the account gained since the options were handed out
    // (a stale session started this ceremony before it) must not be joined without proving one.
    if (!firstFactor) await requireFreshSecondFactor(ctx, principal);
    const passkey = em.create(MfaPasskeySchema, {
      id: newId(),
      userId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey),
      counter: info.credential.counter,
      transports: info.credential.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
      name: input.name?.trim() || passkeyNameFor(input.userAgent),
      createdAt: new Date(),
      lastUsedAt: null,
      cloneWarnedAt: null,
    });
    await em.flush();
    const recoveryCodes = firstFactor ? await replaceRecoveryCodes(em, userId) : null;
    await markSecondFactor(em, principal.credentialId, amrOf(passkey.deviceType));
    await announceFactorChange(em, userId, 'passkey_added', (to) => passkeyAddedMail(to, passkey.name), requestId);
    return { passkey: presentPasskey(passkey), recoveryCodes };
  });
}

export async function listPasskeys(ctx: IdentityContext, userId: string, query: PageRequest) {
  const page = await findPage(readEm(ctx), MfaPasskeySchema, { userId }, query, {
    sortable: { createdAt: 'date', lastUsedAt: 'date', name: 'string' },
    defaultSort: '-createdAt',
  });
  return { items: page.items.map(presentPasskey), meta: page.meta };
}

export async function renamePasskey(
  ctx: IdentityContext,
  userId: string,
  passkeyId: string,
  name: string,
  requestId: string,
) {
  return commit(ctx, async (em) => {
    const passkey = await em.findOne(MfaPasskeySchema, { id: passkeyId, userId });
    if (!passkey) throw notFound('Passkey not found');
    passkey.name = name.trim();
    await announceFactorChange(em, userId, 'passkey_renamed', () => null, requestId);
    return presentPasskey(passkey);
  });
}

/** Removes a passkey (step-up); when it was the last factor, the recovery codes go too. */
export async function deletePasskey(
  ctx: IdentityContext,
  principal: AuthenticatedPrincipal,
  passkeyId: string,
  requestId: string,
) {
  await requireFreshSecondFactor(ctx, principal);
  const { userId } = principal;
  await commit(ctx, async (em) => {
    await lockFactorsOf(em, userId);
    const [removed]: Array<{ name: string }> = await em.execute(
      'delete from mfa_passkeys where id = ? and user_id = ? returning name',
      [passkeyId, userId],
    );
    if (!removed) throw notFound('Passkey not found');
    await dropRecoveryCodesIfLast(em, userId);
    await announceFactorChange(
      em,
      userId,
      'passkey_removed',
      (to, stillOn) => passkeyRemovedMail(to, removed.name, stillOn),
      requestId,
    );
  });
}
