import type { FastifyReply } from 'fastify';
import type { IdentityContext } from '../context.js';
import type { Session } from './entities.js';

/** The session cookie's attributes, wherever it is set or cleared (fastify here, Koa in OAuth). */
export function sessionCookieOptions(ctx: IdentityContext) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    // Secure everywhere but plain-http local development (docs/accounts.md "Sign-in and sessions").
    secure: new URL(ctx.config.PUBLIC_URL).protocol === 'https:',
  };
}

/** Lives as long as the session may: until its absolute expiry. */
export function setSessionCookie(ctx: IdentityContext, reply: FastifyReply, token: string, session: Session) {
  reply.setCookie(ctx.config.SESSION_COOKIE_NAME, token, {
    ...sessionCookieOptions(ctx),
    maxAge: Math.floor((session.absoluteExpiresAt.getTime() - Date.now()) / 1000),
  });
}

export function clearSessionCookie(ctx: IdentityContext, reply: FastifyReply) {
  reply.clearCookie(ctx.config.SESSION_COOKIE_NAME, sessionCookieOptions(ctx));
}
