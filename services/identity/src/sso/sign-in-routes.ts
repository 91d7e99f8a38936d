import { SSO_SIGN_IN_ROUTES } from '@gatehouse/contracts';
import { ok, type RouteServer } from '@gatehouse/service-kit';
import type { IdentityContext } from '../context.js';
import { clientInfo } from '../sessions/sign-in.js';
import { clearStateCookie, SSO_STATE_COOKIE, setStateCookie, startSsoSignIn } from './discover.js';
import { identifyEmail } from './identify.js';
import { acceptOidcCallback } from './oidc.js';
import { completeSsoSignIn } from './sign-in.js';
import { redirectAfterSsoSignIn } from './sso-session.js';

/** identify, discover and the OIDC callback (the SAML ACS is sso/saml's). */
export function ssoSignInRoutes(routes: RouteServer, ctx: IdentityContext): void {
  routes.serve(SSO_SIGN_IN_ROUTES.identify, async (request, reply) =>
    ok(reply, 'Sign-in method found', await identifyEmail(ctx, request.body.email, request.body.returnTo)),
  );

  routes.serve(SSO_SIGN_IN_ROUTES.discoverSso, async (request, reply) => {
    const { location, state } = await startSsoSignIn(ctx, request.query.email, request.query.returnTo);
    setStateCookie(ctx, reply, state);
    return reply.header('cache-control', 'no-store').redirect(location, 302);
  });

  routes.serve(SSO_SIGN_IN_ROUTES.ssoOidcCallback, async (request, reply) => {
    const accepted = await acceptOidcCallback(
      ctx,
      request.query as Record<string, string | undefined>,
      request.cookies[SSO_STATE_COOKIE],
    );
    // Only a verified answer spent the state: a refused visit leaves the browser's sign-in running.
    clearStateCookie(reply);
    const signedIn = await completeSsoSignIn(
      ctx,
      accepted.connection,
      accepted.profile,
      clientInfo(request),
      accepted.returnTo,
    );
    return redirectAfterSsoSignIn(ctx, reply, signedIn, accepted.returnTo, 302);
  });
}
