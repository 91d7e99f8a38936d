import { randomInt } from 'node:crypto';
import {
  conflict,
  EVENT_SUBJECTS,
  newId,
  type ProvisionReply,
  type ProvisionRequest,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import { recordEvent, requestRpc } from '@gatehouse/service-kit';
import { type EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { commit, type IdentityContext, readEm } from '../context.js';
import { organizationCount, upsertMembership } from '../memberships/service.js';
import { queueVerification } from '../one-time-tokens/links.js';
import { announceUserUpdated } from '../users/announce.js';
import { presentUser, type User, UserSchema } from '../users/entities.js';
import { checkPasswordStrength, findUserByEmail, getUser, isHandleTaken, normalizeEmail } from '../users/queries.js';
import { presentedUser } from '../users/view.js';

function handleBase(name: string, email: string): string {
  const fromName = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
  const fromEmail = (email.split('@')[0] ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '');
  const base = (fromName.length >= 3 ? fromName : fromEmail).slice(0, 24);
  return base.length >= 3 ? base : `user${base}`;
}

export async function uniqueHandle(em: EntityManager, name: string, email: string): Promise<string> {
  const base = handleBase(name, email);
  if (!(await isHandleTaken(em, base))) return base;
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = `${base}${randomInt(1000, 100000)}`;
    if (!(await isHandleTaken(em, candidate))) return candidate;
  }
  return `${base}${newId().slice(-8).toLowerCase()}`;
}

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
}

/**
 * Creates the user, the user.registered event and the verification mail in one transaction,
 * then asks the organization service to provision the default organization right away so
 * the next call already sees it. Should that reply not come, the durable event provisions it.
 */
export async function signUp(ctx: IdentityContext, input: SignUpInput, requestId: string) {
  const email = normalizeEmail(input.email);
  const name = input.name.trim();
  checkPasswordStrength(input.password, email);
  const passwordHash = await ctx.hasher.hash(input.password);
  let user: User;
  try {
    user = await commit(ctx, async (em) => {
      if (await findUserByEmail(em, email)) throw conflict('EMAIL_TAKEN', 'An account with this email already exists');
      const now = new Date();
      const created = em.create(UserSchema, {
        id: newId(),
        email,
        passwordHash,
        fullName: name,
        handle: await uniqueHandle(em, name, email),
        isVerified: false,
        verifiedAt: null,
        isActive: true,
        lastLoginAt: null,
        role: 'user',
        createdAt: now,
        updatedAt: now,
      });
      // Rows that point at the user are written after it (entities hold ids, not ORM relations).
      await em.flush();
      recordEvent(em, EVENT_SUBJECTS.userRegistered, { userId: created.id, email, name }, requestId);
      await queueVerification(ctx, em, created);
      return created;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw conflict('EMAIL_TAKEN', 'An account with this email already exists');
    }
    throw error;
  }
  await provisionDefaultOrganization(ctx, user, requestId);
  return presentUser(user, await organizationCount(readEm(ctx), user.id));
}

async function provisionDefaultOrganization(ctx: IdentityContext, user: User, requestId: string): Promise<void> {
  try {
    const reply = await requestRpc<ProvisionRequest, ProvisionReply>(
      ctx.deps.messaging.nc,
      ctx.deps.messaging.subject(RPC_SUBJECTS.provisionDefaultOrganization),
      { userId: user.id, email: user.email, name: user.fullName },
      3000,
    );
    if (reply.ok) await upsertMembership(readEm(ctx), reply.organizationId, user.id, 'owner');
  } catch (error) {
    ctx.deps.logger.warn(
      { err: error, userId: user.id, requestId },
      'default organization not provisioned synchronously; the event will do it',
    );
  }
}

/** GET /me, the hottest read: one primary-key statement, no entity loading (users/view.ts). */
export async function getMe(ctx: IdentityContext, userId: string) {
  return presentedUser(ctx.deps.orm.em, userId);
}

export async function updateMe(
  ctx: IdentityContext,
  userId: string,
  changes: { fullName?: string; handle?: string },
  requestId: string,
) {
  try {
    const user = await commit(ctx, async (em) => {
      const found = await getUser(em, userId);
      if (changes.handle && changes.handle !== found.handle) {
        if (await isHandleTaken(em, changes.handle)) throw conflict('HANDLE_TAKEN', 'This handle is taken');
        found.handle = changes.handle;
      }
      if (changes.fullName) found.fullName = changes.fullName.trim();
      found.updatedAt = new Date();
      announceUserUpdated(em, found, requestId);
      return found;
    });
    return presentUser(user, await organizationCount(readEm(ctx), userId));
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict('HANDLE_TAKEN', 'This handle is taken');
    throw error;
  }
}
