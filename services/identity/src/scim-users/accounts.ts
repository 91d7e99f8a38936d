import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { randomSecret, recordEvent } from '@gatehouse/service-kit';
import type { EntityManager } from '@mikro-orm/postgresql';
import { uniqueHandle } from '../accounts/service.js';
import type { IdentityContext } from '../context.js';
import { endEveryCredential } from '../recovery/end-every-credential.js';
import { announceUserUpdated } from '../users/announce.js';
import { type User, UserSchema } from '../users/entities.js';
import { findUserByEmail, loadUserForUpdate } from '../users/queries.js';
import type { ScimUserFields } from './input.js';
import { requireAccountUnlinked } from './uniqueness.js';

/**
 * A random password no one knows (password sign-in fails; the person signs in by SSO or resets it).
 * Hashed before the transaction: argon2 takes tens of milliseconds, not to be spent holding the
 * directory's lock while every other write of the directory waits.
 */
export function unusablePasswordHash(ctx: IdentityContext): Promise<string> {
  return ctx.hasher.hash(randomSecret(32));
}

export interface ProvisionedAccount {
  userId: string;
  /** The directory created it (or inherits it from a user it deleted): deprovisioning deactivates it. */
  ownsAccount: boolean;
}

/**
 * The account a new SCIM user is: the existing one with that address (linked), else one created for it.
 * The caller has checked that the address is in a verified domain of the organization.
 */
export async function accountFor(
  ctx: IdentityContext,
  em: EntityManager,
  directoryId: string,
  fields: ScimUserFields,
  passwordHash: string,
  requestId?: string,
): Promise<ProvisionedAccount> {
  const existing = await findUserByEmail(em, fields.email);
  if (!existing) return { userId: (await createAccount(em, fields, passwordHash)).id, ownsAccount: true };
  await requireAccountUnlinked(em, directoryId, existing.id);
  const user = await loadUserForUpdate(em, existing.id);
  if (await createdByDeletedUser(em, directoryId, user.id)) {
    // Okta deletes and provisions the same person again: the account is still the directory's.
    user.isActive = fields.active;
    return { userId: user.id, ownsAccount: true };
  }
  // Someone made the account before the directory knew them. A deactivated one stays so (an operator
  // decided that); it is linked, never owned: deprovisioning removes the membership, not the account.
  if (!user.isVerified) await takeOver(ctx, em, user, passwordHash, requestId);
  return { userId: user.id, ownsAccount: false };
}

/**
 * An unverified account may have been made by anyone who typed the address (pre-registration). The
 * organization proved the domain, so what that stranger set up must not survive: every credential,
 * the second factors and the password go. It stays unverified: the address's owner proves it as usual.
 */
async function takeOver(
  ctx: IdentityContext,
  em: EntityManager,
  user: User,
  passwordHash: string,
  requestId?: string,
): Promise<void> {
  await endEveryCredential(ctx, em, user.id, { requestId, forgetFactors: true });
  user.passwordHash = passwordHash;
  user.updatedAt = new Date();
}

/** Did this directory create the account for a SCIM user it has since deleted (a tombstone)? */
async function createdByDeletedUser(em: EntityManager, directoryId: string, userId: string): Promise<boolean> {
  const rows: unknown[] = await em.execute(
    `select 1 from scim_users
      where directory_id = ? and user_id = ? and owns_account and deleted_at is not null limit 1`,
    [directoryId, userId],
  );
  return rows.length > 0;
}

/**
 * An account for a person the directory provisions: an unusable password, unverified until they prove
 * the address, inactive if provisioned inactive.
 */
async function createAccount(em: EntityManager, fields: ScimUserFields, passwordHash: string): Promise<User> {
  const now = new Date();
  const user = em.create(UserSchema, {
    id: newId(),
    email: fields.email,
    passwordHash,
    fullName: fields.fullName,
    handle: await uniqueHandle(em, fields.fullName, fields.email),
    isVerified: false,
    verifiedAt: null,
    isActive: fields.active,
    lastLoginAt: null,
    role: 'user',
    createdAt: now,
    updatedAt: now,
  });
  // The SCIM user row points at the account: it is written first (entities hold ids, not relations).
  await em.flush();
  recordEvent(em, EVENT_SUBJECTS.userRegistered, { userId: user.id, email: fields.email, name: fields.fullName });
  return user;
}

/** The directory renamed a person whose account it owns: the account follows, announced like any rename. */
export async function renameOwnedAccount(em: EntityManager, userId: string, fullName: string): Promise<void> {
  const user = await loadUserForUpdate(em, userId);
  if (user.fullName === fullName) return;
  user.fullName = fullName;
  user.updatedAt = new Date();
  announceUserUpdated(em, user);
}
