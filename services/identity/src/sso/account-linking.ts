import { EVENT_SUBJECTS, newId } from '@gatehouse/contracts';
import { randomSecret, recordEvent } from '@gatehouse/service-kit';
import { type EntityManager, LockMode, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { uniqueHandle } from '../accounts/service.js';
import { commit, type IdentityContext } from '../context.js';
import { endEveryCredential } from '../recovery/end-every-credential.js';
import type { ClientInfo } from '../sessions/service.js';
import { recordFailureLater } from '../sessions/sign-in.js';
import { announceUserUpdated } from '../users/announce.js';
import { type User, UserSchema } from '../users/entities.js';
import { findUserByEmail, loadUserForUpdate } from '../users/queries.js';
import { normalizeAddress } from './domains.js';
import { type SsoConnection, SsoIdentitySchema } from './entities.js';
import { isDomainVerifiedFor } from './identify.js';
import { loadLiveConnection } from './live-connection.js';
import { ssoRefused } from './refusal.js';
import type { IdpProfile } from './sign-in.js';

export interface LinkedAccount {
  user: User;
  isNew: boolean;
}

const NOT_LINKABLE = () =>
  ssoRefused(
    'SSO_ACCOUNT_NOT_LINKABLE',
    'An account with this email already exists and cannot be linked to this single sign-on connection; sign in with its password',
  );

/**
 * The account behind (connection, IdP subject): found by that link, else an existing account with the same
 * address linked (the IdP verified the address), else created just in time — in both cases only for an
 * address in a domain verified for the connection. An email alone never links. Two first sign-ins at once: the loser finds the link.
 */
export async function linkOrCreateAccount(
  ctx: IdentityContext,
  connection: SsoConnection,
  profile: IdpProfile,
  client: ClientInfo,
): Promise<LinkedAccount> {
  try {
    return await commit(ctx, (em) => linkInTransaction(ctx, em, connection, profile, client));
  } catch (error) {
    if (!(error instanceof UniqueConstraintViolationException)) throw error;
    return commit(ctx, (em) => linkInTransaction(ctx, em, connection, profile, client));
  }
}

const UNUSABLE_EMAIL = () =>
  ssoRefused('SSO_EMAIL_INVALID', 'The identity provider sent an address that is not a single email address');

/** The IdP's address as we store it (sso/domains.ts normalizeAddress), or SSO_EMAIL_INVALID. */
export function normalizeIdpEmail(raw: string): string {
  const address = normalizeAddress(raw);
  if (!address) throw UNUSABLE_EMAIL();
  return address;
}

const OUTSIDE_DOMAINS = () =>
  ssoRefused(
    'SSO_DOMAIN_NOT_VERIFIED',
    'This address is not in a domain the organization has verified for single sign-on',
  );

/**
 * Before anything is linked or provisioned: a deactivated account gets nothing from its IdP. The refusal
 * is recorded in a transaction of its own (this one rolls back).
 */
function requireActive(ctx: IdentityContext, user: User, client: ClientInfo): User {
  if (user.isActive) return user;
  recordFailureLater(ctx, user.id, client, 'deactivated', { method: 'sso' });
  throw ssoRefused('USER_NOT_ACTIVE', 'This account is deactivated');
}

async function linkInTransaction(
  ctx: IdentityContext,
  em: EntityManager,
  connection: SsoConnection,
  profile: IdpProfile,
  client: ClientInfo,
): Promise<LinkedAccount> {
  await loadLiveConnection(ctx, connection.id, em);
  const now = new Date();
  const identity = await em.findOne(
    SsoIdentitySchema,
    { connectionId: connection.id, subject: profile.subject },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  );
  if (identity) {
    identity.lastSignInAt = now;
    const user = requireActive(ctx, await loadUserForUpdate(em, identity.userId), client);
    const renamed = takeIdpName(user, profile);
    const verified = await takeIdpVerification(em, connection, user, profile);
    if (renamed || verified) {
      user.updatedAt = now;
      announceUserUpdated(em, user);
    }
    return { user, isNew: false };
  }
  const email = normalizeIdpEmail(profile.email);
  // An IdP speaks only for addresses its organization proved it owns: otherwise it could plant an account
  // (and a link to it) under someone else's address, and keep signing in after the owner claims it.
  if (!(await isDomainVerifiedFor(em, connection, email))) throw OUTSIDE_DOMAINS();
  const existing = await findUserByEmail(em, email);
  if (existing) requireActive(ctx, existing, client);
  const user = existing
    ? await linkExisting(ctx, em, connection, existing, profile)
    : await createUser(ctx, em, email, profile, profile.emailVerified);
  em.create(SsoIdentitySchema, {
    connectionId: connection.id,
    subject: profile.subject,
    userId: user.id,
    createdAt: now,
    lastSignInAt: now,
  });
  return { user, isNew: !existing };
}

/**
 * An account someone made with a password is linked only when the organization proved the domain and the
 * IdP vouches for the address; then every credential it had ends (sessions, keys, OAuth grants; the SSO
 * session is opened after). An unverified account may have been made by anyone (pre-registration), so it
 * also loses its password, as a verification would do.
 */
async function linkExisting(
  ctx: IdentityContext,
  em: EntityManager,
  connection: SsoConnection,
  user: User,
  profile: IdpProfile,
): Promise<User> {
  if (!profile.emailVerified) throw NOT_LINKABLE();
  // One person per account on a connection: a second IdP subject claiming the address is someone else.
  if (await em.findOne(SsoIdentitySchema, { connectionId: connection.id, userId: user.id })) throw NOT_LINKABLE();
  const fresh = await loadUserForUpdate(em, user.id);
  // Whoever held the account before the IdP spoke for it keeps nothing: sessions, keys, OAuth grants.
  // An unverified account loses its second factors too: a pre-registering stranger's authenticator
  // must not lock the address's owner out.
  await endEveryCredential(ctx, em, fresh.id, { forgetFactors: !fresh.isVerified });
  if (!fresh.isVerified) {
    fresh.passwordHash = await ctx.hasher.hash(randomSecret(32));
    fresh.updatedAt = new Date();
    fresh.isVerified = true;
    fresh.verifiedAt = new Date();
    announceUserUpdated(em, fresh);
  }
  return fresh;
}

/** Just in time: an unusable random password (password sign-in fails), verified only as far as proven. */
async function createUser(
  ctx: IdentityContext,
  em: EntityManager,
  email: string,
  profile: IdpProfile,
  verified: boolean,
): Promise<User> {
  const name = displayName(profile, email);
  const now = new Date();
  const user = em.create(UserSchema, {
    id: newId(),
    email,
    passwordHash: await ctx.hasher.hash(randomSecret(32)),
    fullName: name,
    handle: await uniqueHandle(em, name, email),
    isVerified: verified,
    verifiedAt: verified ? now : null,
    isActive: true,
    lastLoginAt: null,
    role: 'user',
    createdAt: now,
    updatedAt: now,
  });
  // Rows that point at the user are written after it (entities hold ids, not ORM relations).
  await em.flush();
  recordEvent(em, EVENT_SUBJECTS.userRegistered, { userId: user.id, email, name });
  if (verified) announceUserUpdated(em, user);
  return user;
}

/** Later sign-ins bring the IdP's current name; true when it changed. */
function takeIdpName(user: User, profile: IdpProfile): boolean {
  const name = profile.name?.trim().slice(0, 100);
  if (!name || name === user.fullName) return false;
  user.fullName = name;
  return true;
}

/**
 * A JIT account made while the IdP did not vouch for the address (OIDC email_verified false) is verified
 * by a later sign-in where it does: for the account's own address, in a domain still verified for the
 * connection (the same proof a first sign-in needs). True when it changed.
 */
async function takeIdpVerification(
  em: EntityManager,
  connection: SsoConnection,
  user: User,
  profile: IdpProfile,
): Promise<boolean> {
  if (user.isVerified || !profile.emailVerified) return false;
  if (normalizeIdpEmail(profile.email) !== user.email) return false;
  if (!(await isDomainVerifiedFor(em, connection, user.email))) return false;
  user.isVerified = true;
  user.verifiedAt = new Date();
  return true;
}

function displayName(profile: IdpProfile, email: string): string {
  const name = profile.name?.trim().slice(0, 100);
  return name || (email.split('@')[0] ?? email).slice(0, 100);
}
