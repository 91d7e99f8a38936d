import { ACCOUNT_ROUTES, AUTH_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer, requireUser } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireAccountWide, requirePerson } from '../credentials/limits.js';
import { requireFreshSecondFactor } from '../factors/step-up.js';
import { deleteMe } from './deletion.js';
import { exportMe } from './export.js';
import { getMe, signUp, updateMe } from './service.js';

export function accountRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(AUTH_ROUTES.signUp, async (request, reply) =>
    ok(reply, 'Account created; check your email to verify it', await signUp(ctx, request.body, request.id)),
  );

  routes.serve(ACCOUNT_ROUTES.getMe, async (request, reply) =>
    ok(reply, 'User fetched successfully', await getMe(ctx, requireUser(request).userId)),
  );

  routes.serve(ACCOUNT_ROUTES.updateMe, async (request, reply) =>
    ok(
      reply,
      'User updated successfully',
      await updateMe(ctx, requireAccountWide(requireUser(request)).userId, request.body, request.id),
    ),
  );

  routes.serve(ACCOUNT_ROUTES.deleteMe, async (request, reply) => {
    const principal = requirePerson(request);
    await requireFreshSecondFactor(ctx, principal);
    await deleteMe(ctx, principal.userId, request.id);
    return ok(reply, 'Account deleted', null);
  });

  routes.serve(ACCOUNT_ROUTES.exportMe, async (request, reply) =>
    ok(reply, 'Account data exported', await exportMe(ctx, requireUser(request))),
  );
}
