import cookie from '@fastify/cookie';
import {
  AUTHORIZATION_SERVER_ROUTES,
  type ResolveCredentialReply,
  type ResolveCredentialRequest,
  ROUTES,
  RPC_SUBJECTS,
} from '@gatehouse/contracts';
import {
  createMailer,
  createServiceApp,
  forgetEntitlements,
  type HttpApp,
  type Mailer,
  Pump,
  routeServer,
  type ServiceDeps,
  serveRpc,
} from '@gatehouse/service-kit';
import { accountRoutes } from './accounts/routes.js';
import { apiKeyRoutes } from './api-keys/routes.js';
import { buildIdentityContext } from './build-context.js';
import type { IdentityConfig } from './config.js';
import type { IdentityContext } from './context.js';
import { resolveCredential } from './credential-resolution/resolve.js';
import { revokedCredentialsHeader, takeRevokedIds } from './credentials/revocation.js';
import { directoryRoutes } from './directories/routes.js';
import { forgetOrganizationDirectories } from './directories/service.js';
import { emailVerificationRoutes } from './email-verification/routes.js';
import { entitlementsConsumer } from './entitlements/service.js';
import { magicLinkRoutes } from './magic-links/routes.js';
import { membershipConsumer, tenantAccess } from './memberships/service.js';
import { mfaEnrolmentRoutes } from './mfa/enrolment-routes.js';
import { mfaSignInRoutes } from './mfa/sign-in-routes.js';
import { forgetOrganizationSecurity } from './mfa-policy/service.js';
import { createOAuthProvider, OAUTH_PATH } from './oauth/provider.js';
import { oauthRoutes } from './oauth/routes.js';
import { oauthAppRoutes } from './oauth-apps/routes.js';
import { oauthGrantRoutes } from './oauth-grants/routes.js';
import { organizationSecurityRoutes } from './organization-security/routes.js';
import { passwordRoutes } from './passwords/routes.js';
import { scimDiscoveryRoutes } from './scim/discovery-routes.js';
import { useScimProtocol } from './scim/protocol.js';
import { scimGroupRoutes } from './scim-groups/routes.js';
import { scimUserRoutes } from './scim-users/routes.js';
import { sessionRoutes } from './sessions/routes.js';
import { signInFailures } from './sessions/sign-in.js';
import { ssoAdminRoutes } from './sso/admin-routes.js';
import { verificationResolver } from './sso/dns.js';
import { recheckVerifiedDomains } from './sso/domain-recheck.js';
import { forgetOrganizationSso } from './sso/organization-deleted.js';
import { samlRoutes } from './sso/saml/routes.js';
import { ssoSignInRoutes } from './sso/sign-in-routes.js';

export interface IdentityOptions {
  /** Overrides the mailer chosen from config (tests pass an SMTP one pointed at their server). */
  mailer?: Mailer;
}

export async function buildApp(deps: ServiceDeps<IdentityConfig>, options: IdentityOptions = {}): Promise<HttpApp> {
  const config = deps.config;
  const mailer = options.mailer ?? createMailer(config, deps.logger);
  const ctx = buildIdentityContext(deps, mailer);

  // The JWKS is public by nature: the gateway fetches it directly to verify access tokens.
  const app = createServiceApp(deps, { publicPaths: [`${OAUTH_PATH}/jwks`] });
  await app.register(cookie);
  // The gateway drops what a request revoked from its cache before it forwards the answer.
  app.addHook('onSend', async (request, reply) => {
    const revoked = revokedCredentialsHeader(request.id);
    if (revoked) reply.header(...revoked);
  });
  app.addHook('onResponse', async (request) => {
    takeRevokedIds(request.id);
  });
  // Emails are trimmed before validation, so " Ada@Example.com " is the same address.
  app.addHook('preValidation', async (request) => {
    const body = request.body as { email?: unknown } | undefined;
    if (body && typeof body === 'object' && typeof body.email === 'string') body.email = body.email.trim();
  });
  // identity's routes in the route table, and the authorization server's (oidc-provider answers
  // most of those itself; the login and consent pages are identity's handlers).
  const routes = routeServer(app, {
    contracts: [...ROUTES.filter((route) => route.upstream === 'identity'), ...AUTHORIZATION_SERVER_ROUTES],
    tenantAccess: tenantAccess(deps),
  });
  accountRoutes(routes, ctx);
  sessionRoutes(routes, ctx);
  emailVerificationRoutes(routes, ctx);
  passwordRoutes(routes, ctx);
  apiKeyRoutes(routes, ctx);
  oauthAppRoutes(routes, ctx);
  oauthGrantRoutes(routes, ctx);
  ssoAdminRoutes(routes, ctx);
  ssoSignInRoutes(routes, ctx);
  mfaEnrolmentRoutes(routes, ctx);
  mfaSignInRoutes(routes, ctx);
  magicLinkRoutes(routes, ctx);
  organizationSecurityRoutes(routes, ctx);
  directoryRoutes(routes, ctx);
  // /scim/v2 speaks SCIM (its media type and error documents), in a scope of its own.
  await app.register(async (child) => {
    // register() hands the child scope fastify's default generics; it is the same app type.
    const scope = child as unknown as HttpApp;
    useScimProtocol(scope);
    const scim = routes.within(scope);
    scimDiscoveryRoutes(scim, ctx);
    scimUserRoutes(scim, ctx);
    scimGroupRoutes(scim, ctx);
  });
  await oauthRoutes(app, routes, ctx, await createOAuthProvider(ctx));
  await samlRoutes(app, routes, ctx);

  const resolver = serveRpc<ResolveCredentialRequest, ResolveCredentialReply>(
    deps.messaging.nc,
    deps.messaging.subject(RPC_SUBJECTS.resolveCredential),
    deps.logger,
    (request) => resolveCredential(ctx, request),
  );
  const memberships = membershipConsumer(deps, async (em, organizationId) => {
    await forgetOrganizationSso(em, organizationId);
    await forgetOrganizationSecurity(em, organizationId);
    await forgetOrganizationDirectories(em, organizationId);
    await forgetEntitlements(em, organizationId);
  });
  const entitlements = entitlementsConsumer(deps);
  await memberships.start();
  await entitlements.start();
  ctx.mail.start();
  ctx.lastUsed.start();
  const domainRecheck = domainRecheckPump(ctx);
  domainRecheck.start();
  signInFailures(ctx).start();

  app.addHook('onClose', async () => {
    resolver.unsubscribe();
    await domainRecheck.stop();
    await signInFailures(ctx).stop();
    await memberships.stop();
    await entitlements.stop();
    await ctx.mail.stop();
    await ctx.lastUsed.stop();
  });
  return app;
}

/** Verified domains are looked up again every SSO_DOMAIN_RECHECK_HOURS; a pass an hour walks those due. */
function domainRecheckPump(ctx: IdentityContext): Pump {
  const dns = verificationResolver(ctx.config.DNS_SERVERS);
  return new Pump({
    name: 'sso-domain-recheck',
    logger: ctx.deps.logger,
    intervalMs: 60 * 60_000,
    pass: async () => {
      const checkedBefore = new Date(Date.now() - ctx.config.SSO_DOMAIN_RECHECK_HOURS * 3600_000);
      await recheckVerifiedDomains(ctx.deps.orm.em, dns, ctx.deps.logger, { checkedBefore });
    },
  });
}
