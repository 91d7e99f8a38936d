import { type HttpApp, ok, requireUser } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireAccountWide, requirePerson } from '../credentials/limits.js';
import { SignUpBody, UpdateMeBody } from './schemas.js';
import { deleteMe, exportMe, getMe, signUp, updateMe } from './service.js';

export function accountRoutes(app: HttpApp, ctx: IdentityContext): void {
  app.post('/api/auth/sign-up/email', { schema: { body: SignUpBody } }, async (request, reply) =>
    ok(reply, 'Account created; check your email to verify it', await signUp(ctx, request.body, request.id)),
  );

  app.get('/api/user/me', async (request, reply) =>
    ok(reply, 'User fetched successfully', await getMe(ctx, requireUser(request).userId)),
  );

  app.put('/api/user/me', { schema: { body: UpdateMeBody } }, async (request, reply) =>
    ok(
      reply,
      'User updated successfully',
      await updateMe(ctx, requireAccountWide(requireUser(request)).userId, request.body, request.id),
    ),
  );

  app.delete('/api/user/me', async (request, reply) => {
    await deleteMe(ctx, requirePerson(request).userId, request.id);
    return ok(reply, 'Account deleted', null);
  });

  app.get('/api/user/me/export', async (request, reply) =>
    ok(reply, 'Account data exported', await exportMe(ctx, requireUser(request))),
  );
}
