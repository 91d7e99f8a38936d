import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdentityContext } from '../context.js';

function cookieSecure(ctx: IdentityContext): boolean {
  // Secure everywhere but plain-http local development (API.md "Credentials").
  return new URL(ctx.config.PUBLIC_URL).protocol === 'https:';
}

export function setSessionCookie(ctx: IdentityContext, reply: FastifyReply, token: string, maxAgeSeconds: number) {
  reply.setCookie(ctx.config.SESSION_COOKIE_NAME, token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: cookieSecure(ctx),
    maxAge: maxAgeSeconds,
  });
}

export function clientInfo(request: FastifyRequest) {
  const agent = request.headers['user-agent'];
  return { ip: request.clientIp || null, userAgent: typeof agent === 'string' ? agent : null };
}

export function clearSessionCookie(ctx: IdentityContext, reply: FastifyReply) {
  reply.clearCookie(ctx.config.SESSION_COOKIE_NAME, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: cookieSecure(ctx),
  });
}
