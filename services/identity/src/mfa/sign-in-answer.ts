import { ok } from '@gatehouse/service-kit';
import type { FastifyReply } from 'fastify';
import { type IdentityContext, readEm } from '../context.js';
import { organizationCount } from '../memberships/service.js';
import type { FirstFactorResult } from '../mfa-challenges/first-factor.js';
import { setSessionCookie } from '../sessions/cookie.js';
import type { Session } from '../sessions/entities.js';
import { presentUser, type User } from '../users/entities.js';

/**
 * The answer of a sign-in that made a session (`SignedIn`): the user and the session's id and expiry.
 * `knownOrganizationCount`: the count when the sign-in already read it (a password's one lookup).
 */
export async function signedInAnswer(
  ctx: IdentityContext,
  user: User,
  session: Session,
  knownOrganizationCount?: number,
) {
  return {
    user: presentUser(user, knownOrganizationCount ?? (await organizationCount(readEm(ctx), user.id))),
    session: { id: session.id, expiresAt: session.expiresAt.toISOString() },
  };
}

/**
 * How every JSON way in (password, magic link) answers a proven first factor: the session and its cookie,
 * exactly as before second factors existed, or the challenge and no cookie.
 */
export async function answerFirstFactor(
  ctx: IdentityContext,
  reply: FastifyReply,
  result: FirstFactorResult,
  knownOrganizationCount?: number,
) {
  if (result.kind === 'challenge') return ok(reply, 'Second factor required', result.challenge);
  setSessionCookie(ctx, reply, result.token, result.session);
  return ok(
    reply,
    'Signed in successfully',
    await signedInAnswer(ctx, result.user, result.session, knownOrganizationCount),
  );
}
