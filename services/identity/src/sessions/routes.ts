import { AppError, notFound } from '@gatehouse/contracts';
import { type HttpApp, ok, requireUser } from '@gatehouse/service-kit';
import { presentUser } from '../accounts/entities.js';
import { commit, type IdentityContext, readEm } from '../context.js';
import { requireAccountWide, requireCredentialManager } from '../credentials/limits.js';
import { organizationCount } from '../memberships/service.js';
import { clearSessionCookie, clientInfo, setSessionCookie, signOut } from './cookie.js';
import { LoginEventSchema, presentSession, SessionSchema } from './entities.js';
import { LoginHistoryQuery, SessionParams, SignInBody } from './schemas.js';
import { signIn } from './sign-in.js';

export function sessionRoutes(app: HttpApp, ctx: IdentityContext): void {
  app.post('/api/auth/sign-in/email', { schema: { body: SignInBody } }, async (request, reply) => {
    const { token, session, user } = await signIn(ctx, request.body, clientInfo(request));
    setSessionCookie(ctx, reply, token, session);
    const count = await organizationCount(readEm(ctx), user.id);
    return ok(reply, 'Signed in successfully', {
      user: presentUser(user, count),
      session: { id: session.id, expiresAt: session.expiresAt.toISOString() },
    });
  });

  app.post('/api/auth/sign-out', async (request, reply) => {
    const principal = requireUser(request);
    if (principal.kind !== 'session') {
      throw new AppError('INSUFFICIENT_PERMISSIONS', 'Only a session can sign out; revoke API keys instead');
    }
    await signOut(ctx, principal.credentialId, request.id);
    clearSessionCookie(ctx, reply);
    return ok(reply, 'Signed out', null);
  });

  app.get('/api/user/sessions', async (request, reply) => {
    const principal = requireAccountWide(requireCredentialManager(request));
    const current = principal.kind === 'session' ? principal.credentialId : null;
    const sessions = await readEm(ctx).find(
      SessionSchema,
      {
        userId: principal.userId,
        revokedAt: null,
        expiresAt: { $gt: new Date() },
        absoluteExpiresAt: { $gt: new Date() },
      },
      { orderBy: { lastSeenAt: 'desc' } },
    );
    return ok(
      reply,
      'Sessions fetched successfully',
      sessions.map((session) => presentSession(session, current)),
    );
  });

  app.delete('/api/user/sessions/:sessionId', { schema: { params: SessionParams } }, async (request, reply) => {
    const principal = requireAccountWide(requireCredentialManager(request));
    await commit(ctx, async (em) => {
      const session = await em.findOne(SessionSchema, { id: request.params.sessionId, userId: principal.userId });
      if (!session || session.revokedAt) throw notFound('Session not found');
      ctx.sessions.revoke(em, session, request.id);
    });
    return ok(reply, 'Session revoked', null);
  });

  app.get('/api/user/me/login-history', { schema: { querystring: LoginHistoryQuery } }, async (request, reply) => {
    const principal = requireUser(request);
    const { offset, limit } = request.query;
    const em = readEm(ctx);
    const [events, total] = await em.findAndCount(
      LoginEventSchema,
      { userId: principal.userId },
      { orderBy: { at: request.query.sort === 'at' ? 'asc' : 'desc', id: 'desc' }, offset, limit },
    );
    const data = events.map((event) => ({
      id: event.id,
      at: event.at.toISOString(),
      ip: event.ip,
      userAgent: event.userAgent,
      method: event.method,
      success: event.success,
    }));
    return ok(reply, 'Login history fetched successfully', data, {
      meta: { total, offset, limit, hasMore: offset + data.length < total },
    });
  });
}
