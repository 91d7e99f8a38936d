import { AppError } from '@gatehouse/contracts';
import type { FastifyRequest } from 'fastify';
import { commit, type IdentityContext, readEm } from '../context.js';
import { passwordRefusal } from '../sso-policy/policy.js';
import { findUserByEmail, loadUserForUpdate } from '../users/queries.js';
import type { ClientInfo, SignInResult } from './service.js';

/** Where a sign-in comes from, as recorded on the session and in the login history. */
export function clientInfo(request: FastifyRequest): ClientInfo {
  const agent = request.headers['user-agent'];
  return { ip: request.clientIp || null, userAgent: typeof agent === 'string' ? agent : null };
}

const INVALID = () => new AppError('INVALID_CREDENTIALS', 'Invalid email or password');

/**
 * One answer and one cost for an unknown email and a wrong password: the unknown case
 * verifies against a dummy argon2id hash, so timing does not tell which it was.
 */
export async function signIn(
  ctx: IdentityContext,
  input: { email: string; password: string },
  client: ClientInfo,
): Promise<SignInResult> {
  const user = await findUserByEmail(readEm(ctx), input.email);
  const valid = await ctx.hasher.verify(user?.passwordHash ?? null, input.password);
  // Asked after the hash check, whatever its outcome, so the cost stays the same; only a proven
  // owner gets past it (break-glass), and every other address of the domain meets the same 403.
  const ssoRefusal = await passwordRefusal(ctx, input.email, user && valid ? user.id : null);
  if (ssoRefusal) {
    if (user) recordFailureLater(ctx, user.id, client, 'sso_required');
    throw ssoRefusal;
  }
  if (!user || !valid) {
    // Recorded after answering: a write only for existing accounts would make them slower to refuse.
    if (user) recordFailureLater(ctx, user.id, client, 'wrong_password');
    throw INVALID();
  }
  if (!user.isActive) {
    recordFailureLater(ctx, user.id, client, 'deactivated');
    throw new AppError('USER_NOT_ACTIVE', 'This account is deactivated');
  }
  const rehash = ctx.hasher.needsRehash(user.passwordHash) ? await ctx.hasher.hash(input.password) : null;
  return commit(ctx, async (em) => {
    const fresh = await loadUserForUpdate(em, user.id);
    if (rehash) fresh.passwordHash = rehash;
    fresh.lastLoginAt = new Date();
    const { token, session } = ctx.sessions.create(em, fresh, client, { amr: ['pwd'] });
    ctx.sessions.recordLogin(em, fresh.id, client, { success: true });
    return { token, session, user: fresh };
  });
}

function recordFailureLater(ctx: IdentityContext, userId: string, client: ClientInfo, reason: string): void {
  setImmediate(() => {
    commit(ctx, async (em) =>
      ctx.sessions.recordLogin(em, userId, client, { success: false, failureReason: reason }),
    ).catch((error: unknown) => ctx.deps.logger.warn({ err: error, userId }, 'failed sign-in not recorded'));
  });
}
