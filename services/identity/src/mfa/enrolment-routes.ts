import { MFA_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { requireAccountWide, requireCredentialManager, requirePerson } from '../credentials/limits.js';
import { clientInfo } from '../sessions/sign-in.js';
import { confirmTotp, deleteTotp, enrollTotp, mfaStatus, regenerateRecoveryCodes } from './enrolment.js';
import {
  deletePasskey,
  finishPasskeyRegistration,
  listPasskeys,
  renamePasskey,
  startPasskeyRegistration,
} from './passkey-registration.js';

/**
 * The account's own factors: status, authenticator app, passkeys, recovery codes. Changes need the
 * person in a session (PERSON_ONLY: a key or an app must not add a way in); reading also takes a PAT.
 */
export function mfaEnrolmentRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(MFA_ROUTES.getMfaStatus, async (request, reply) => {
    const principal = requireAccountWide(requireCredentialManager(request));
    return ok(reply, 'Two-step verification status fetched', await mfaStatus(ctx, principal.userId));
  });

  routes.serve(MFA_ROUTES.enrollTotp, async (request, reply) =>
    ok(reply, 'Scan the code with your authenticator app, then confirm', await enrollTotp(ctx, requirePerson(request))),
  );

  routes.serve(MFA_ROUTES.confirmTotp, async (request, reply) =>
    ok(
      reply,
      'Authenticator app turned on',
      await confirmTotp(ctx, requirePerson(request), request.body.code, request.id),
    ),
  );

  routes.serve(MFA_ROUTES.deleteTotp, async (request, reply) => {
    await deleteTotp(ctx, requirePerson(request), request.id);
    return ok(reply, 'Authenticator app removed', null);
  });

  routes.serve(MFA_ROUTES.passkeyRegistrationOptions, async (request, reply) =>
    ok(
      reply,
      'Create the passkey in the browser, then send it back',
      await startPasskeyRegistration(ctx, requirePerson(request), clientInfo(request)),
    ),
  );

  routes.serve(MFA_ROUTES.passkeyRegistrationVerify, async (request, reply) =>
    ok(
      reply,
      'Passkey added',
      await finishPasskeyRegistration(
        ctx,
        requirePerson(request),
        { ...request.body, userAgent: clientInfo(request).userAgent },
        request.id,
      ),
      { status: 201 },
    ),
  );

  routes.serve(MFA_ROUTES.listPasskeys, async (request, reply) => {
    const principal = requireAccountWide(requireCredentialManager(request));
    const { items, meta } = await listPasskeys(ctx, principal.userId, request.query);
    return ok(reply, 'Passkeys fetched successfully', items, { meta });
  });

  routes.serve(MFA_ROUTES.renamePasskey, async (request, reply) =>
    ok(
      reply,
      'Passkey renamed',
      await renamePasskey(ctx, requirePerson(request).userId, request.params.passkeyId, request.body.name, request.id),
    ),
  );

  routes.serve(MFA_ROUTES.deletePasskey, async (request, reply) => {
    await deletePasskey(ctx, requirePerson(request), request.params.passkeyId, request.id);
    return ok(reply, 'Passkey removed', null);
  });

  routes.serve(MFA_ROUTES.regenerateRecoveryCodes, async (request, reply) =>
    ok(reply, 'New recovery codes made', await regenerateRecoveryCodes(ctx, requirePerson(request), request.id)),
  );
}
