import formbody from '@fastify/formbody';
import { AppError, SSO_SAML_ROUTES } from '@gatehouse/contracts';
import type { HttpApp, RouteServer } from '@gatehouse/service-kit';
import { type IdentityContext, readEm } from '../../context.js';
import { clientInfo } from '../../sessions/sign-in.js';
import { clearStateCookie, SSO_STATE_COOKIE } from '../discover.js';
import { SsoConnectionSchema } from '../entities.js';
import { completeSsoSignIn } from '../sign-in.js';
import { redirectAfterSsoSignIn } from '../sso-session.js';
import { acceptSamlResponse } from './acs.js';
import { serviceProviderMetadata } from './metadata.js';

/** A signed response with a few certificates and many groups stays well under this. */
const ACS_BODY_LIMIT = 512 * 1024;

/** The SAML SP endpoints; the ACS gets its own form parser in a child scope. */
export async function samlRoutes(app: HttpApp, routes: RouteServer, ctx: IdentityContext): Promise<void> {
  routes.serve(SSO_SAML_ROUTES.getSamlServiceProviderMetadata, async (request, reply) => {
    const connection = await readEm(ctx).findOne(SsoConnectionSchema, { id: request.params.connectionId });
    if (connection?.type !== 'saml') throw new AppError('NOT_FOUND', 'No such SAML connection');
    return reply
      .type('application/samlmetadata+xml')
      .header('cache-control', 'public, max-age=300')
      .send(await serviceProviderMetadata(ctx, connection.id));
  });

  await app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: ACS_BODY_LIMIT });
    // register() hands the child scope fastify's default generics; it is the same app type.
    routes.within(scope as unknown as HttpApp).serve(SSO_SAML_ROUTES.consumeSamlAssertion, async (request, reply) => {
      const accepted = await acceptSamlResponse(
        ctx,
        request.params.connectionId,
        request.body.SAMLResponse,
        request.cookies[SSO_STATE_COOKIE],
      );
      // Only a verified response spent the state: a refused post leaves the browser's sign-in running.
      clearStateCookie(reply);
      const signedIn = await completeSsoSignIn(
        ctx,
        accepted.connection,
        accepted.profile,
        clientInfo(request),
        accepted.returnTo,
      );
      return redirectAfterSsoSignIn(ctx, reply, signedIn, accepted.returnTo, 303);
    });
  });
}
