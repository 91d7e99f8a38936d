import type { IncomingMessage, ServerResponse } from 'node:http';
import formbody from '@fastify/formbody';
import middie from '@fastify/middie';
import { AppError, AUTHORIZATION_SERVER_ENDPOINTS as ENDPOINTS, type MfaChallenge } from '@gatehouse/contracts';
import { type HttpApp, isDatabaseUnavailable, optionalUser, type RouteServer } from '@gatehouse/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Provider, { errors, type InteractionResults } from 'oidc-provider';
import type { Static } from 'typebox';
import { type IdentityContext, readEm } from '../context.js';
import { describeChallenge } from '../mfa-challenges/describe.js';
import { completeFirstFactor } from '../mfa-challenges/first-factor.js';
import { verifyChallenge } from '../mfa-challenges/verify.js';
import { setSessionCookie } from '../sessions/cookie.js';
import { clientInfo, provePassword } from '../sessions/sign-in.js';
import { findUserById } from '../users/queries.js';
import { GATEHOUSE_SESSION_REASON } from './login-policy.js';
import { consentPage, errorPage, loginPage, mfaPage } from './pages.js';
import { INTERACTION_PATH, OAUTH_PATH } from './provider.js';
import { answerHint, mfaFormAnswer, sessionSignIn } from './second-factor.js';
import { UNAVAILABLE } from './unavailable.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Login reasons a Gatehouse session answers by itself (as opposed to prompt=login, max_age…). */
const SESSION_REASONS: ReadonlySet<string> = new Set(['no_session', GATEHOUSE_SESSION_REASON]);

/**
 * Where a form on these pages may lead: this origin, then (after oidc-provider's redirects)
 * the app's redirect URI. Browsers apply form-action to the whole redirect chain.
 */
function formTargets(redirectUri: unknown): string {
  if (typeof redirectUri !== 'string') return "'self'";
  try {
    const url = new URL(redirectUri);
    const target = /^https?:$/.test(url.protocol) ? url.origin : url.protocol;
    return `'self' ${target}`;
  } catch {
    return "'self'";
  }
}

/**
 * `withScript`: the second-factor page with its passkey button loads one script of this origin; every
 * other page runs none.
 */
function sendPage(reply: FastifyReply, html: string, interaction?: Interaction, status = 200, withScript = false) {
  const scripts = withScript ? "script-src 'self'; connect-src 'self'; " : '';
  return (
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-frame-options', 'DENY')
      // Not no-referrer: with it browsers send `Origin: null` on the form posts, which the
      // cross-site check must refuse. same-origin still tells other sites nothing.
      .header('referrer-policy', 'same-origin')
      // style-src 'self': the console's stylesheet, which the gateway serves on this origin.
      .header(
        'content-security-policy',
        `default-src 'none'; ${scripts}style-src 'self'; img-src 'self' data:; form-action ${formTargets(interaction?.params.redirect_uri)}; frame-ancestors 'none'; base-uri 'none'`,
      )
      .send(html)
  );
}

/** An expired or foreign interaction is a page for a person, not a JSON envelope. */
async function asPage(reply: FastifyReply, work: () => Promise<unknown>) {
  try {
    return await work();
  } catch (error) {
    if (error instanceof errors.OIDCProviderError) {
      return sendPage(reply, errorPage(error.error_description ?? error.message), undefined, error.statusCode);
    }
    if (isDatabaseUnavailable(error)) {
      reply.header('retry-after', UNAVAILABLE.retryAfterSeconds);
      return sendPage(reply, errorPage(UNAVAILABLE.message), undefined, 503);
    }
    throw error;
  }
}

/**
 * oidc-provider answers every /oauth2 endpoint (mounted through middie, which keeps the
 * prefix in `originalUrl` so discovery advertises full URLs). The login and consent pages
 * under /oauth2/interaction are fastify routes: they need identity's sign-in and its HTML.
 */
export async function oauthRoutes(
  app: HttpApp,
  routes: RouteServer,
  ctx: IdentityContext,
  provider: Provider,
): Promise<void> {
  const callback = provider.callback();
  await app.register(middie);
  app.use(OAUTH_PATH, (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if ((req.url ?? '').startsWith('/interaction/')) return next();
    callback(req, res);
  });
  await app.register(async (pages) => {
    await pages.register(formbody, { bodyLimit: 16_384 });
    // register() hands the child scope fastify's default generics; it is the same app type.
    interactionRoutes(routes.within(pages as unknown as HttpApp), ctx, provider);
  });
}

function interactionRoutes(routes: RouteServer, ctx: IdentityContext, provider: Provider): void {
  const details = (request: FastifyRequest, reply: FastifyReply) => provider.interactionDetails(request.raw, reply.raw);
  const finish = async (request: FastifyRequest, reply: FastifyReply, result: InteractionResults) =>
    reply.redirect(
      await provider.interactionResult(request.raw, reply.raw, result, { mergeWithLastSubmission: false }),
      303,
    );
  const appName = async (interaction: Interaction) => {
    const client = await provider.Client.find(String(interaction.params.client_id));
    return client?.clientName ?? 'An application';
  };
  const actions = (uid: string) => ({
    login: `${INTERACTION_PATH}/${uid}/login`,
    confirm: `${INTERACTION_PATH}/${uid}/confirm`,
    abort: `${INTERACTION_PATH}/${uid}/abort`,
    mfa: `${INTERACTION_PATH}/${uid}/mfa`,
  });

  routes.serve(ENDPOINTS.showInteraction, (request, reply) =>
    asPage(reply, async () => {
      const interaction = await details(request, reply);
      const { uid } = request.params;
      if (interaction.prompt.name === 'login') {
        // A browser already signed in to Gatehouse skips the form, unless the app demanded a fresh login.
        // A session that skipped a second factor the account has (signed in before enrolling) does not.
        const principal = request.principal;
        const onlyMissingSession = interaction.prompt.reasons.every((reason) => SESSION_REASONS.has(reason));
        const signedIn = principal?.kind === 'session' && onlyMissingSession ? sessionSignIn(principal) : null;
        if (principal?.kind === 'session' && signedIn?.meetsFactors) {
          return finish(request, reply, { login: { accountId: principal.userId, amr: signedIn.amr } });
        }
        return sendPage(
          reply,
          loginPage({ action: actions(uid).login, appName: await appName(interaction) }),
          interaction,
        );
      }
      if (interaction.prompt.name === 'consent') {
        const accountId = interaction.session?.accountId;
        const user = accountId ? await findUserById(readEm(ctx), accountId) : null;
        const scopes = scopesToConsent(interaction);
        const page = consentPage({
          confirmAction: actions(uid).confirm,
          abortAction: actions(uid).abort,
          appName: await appName(interaction),
          userLabel: user?.email ?? 'your account',
          scopes,
        });
        return sendPage(reply, page, interaction);
      }
      throw new errors.InvalidRequest(`unsupported interaction ${interaction.prompt.name}`);
    }),
  );

  routes.serve(
    ENDPOINTS.submitLogin,
    (request, reply) =>
      asPage(reply, async () => {
        const interaction = await details(request, reply);
        if (interaction.prompt.name !== 'login') throw new errors.InvalidRequest('this step is already complete');
        const showAgain = async (message: string, status: number) =>
          sendPage(
            reply,
            loginPage({
              action: actions(request.params.uid).login,
              appName: await appName(interaction),
              email: typeof request.body?.email === 'string' ? request.body.email : undefined,
              error: message,
            }),
            interaction,
            status,
          );
        if (request.validationError) return showAgain('Enter your email and password', 400);
        try {
          const client = clientInfo(request);
          const { user } = await provePassword(ctx, request.body, client);
          const result = await completeFirstFactor(ctx, user, 'pwd', client, {
            interactionUid: request.params.uid,
          });
          if (result.kind === 'challenge') {
            return await showMfa(request.params.uid, reply, interaction, result.challenge);
          }
          setSessionCookie(ctx, reply, result.token, result.session);
          return await finish(request, reply, { login: { accountId: result.user.id, amr: result.session.amr } });
        } catch (error) {
          if (
            !(error instanceof AppError) ||
            !['INVALID_CREDENTIALS', 'USER_NOT_ACTIVE', 'SSO_REQUIRED'].includes(error.code)
          )
            throw error;
          return showAgain(error.message, error.status);
        }
      }),
    // A form with a field missing is shown again with a message, not answered with JSON.
    { attachValidation: true },
  );

  /** The second-factor page: bound to this interaction (the challenge was opened for its uid). */
  const showMfa = async (
    uid: string,
    reply: FastifyReply,
    interaction: Interaction,
    challenge: Static<typeof MfaChallenge>,
    error?: { message: string; status: number },
  ) =>
    sendPage(
      reply,
      mfaPage({
        action: actions(uid).mfa,
        appName: await appName(interaction),
        challenge,
        error: error?.message,
      }),
      interaction,
      error?.status ?? 200,
      challenge.factors.includes('passkey') && challenge.passkeyOptions !== undefined,
    );

  routes.serve(
    ENDPOINTS.submitMfa,
    (request, reply) =>
      asPage(reply, async () => {
        const interaction = await details(request, reply);
        if (interaction.prompt.name !== 'login') throw new errors.InvalidRequest('this step is already complete');
        const { uid } = request.params;
        // The login form again: the challenge is gone (spent, expired, out of attempts, not this page's).
        const startAgain = async (message: string, status: number) =>
          sendPage(
            reply,
            loginPage({ action: actions(uid).login, appName: await appName(interaction), error: message }),
            interaction,
            status,
          );
        // The same page again with a message; its challenge is read afresh (attempts left, new passkey options).
        const tryAgain = async (challengeId: string, message: string, status: number) => {
          try {
            return await showMfa(uid, reply, interaction, await describeChallenge(ctx, challengeId), {
              message,
              status,
            });
          } catch (error) {
            if (error instanceof AppError && error.code === 'INVALID_OR_EXPIRED_TOKEN') {
              return startAgain(error.message, error.status);
            }
            throw error;
          }
        };
        const body = request.validationError ? null : request.body;
        const answer = body ? mfaFormAnswer(body) : null;
        if (!answer) {
          const challengeId = typeof request.body?.challengeId === 'string' ? request.body.challengeId : null;
          if (!challengeId) return startAgain('This sign-in step has expired; sign in again', 400);
          return tryAgain(challengeId, answerHint(request.body?.type), 400);
        }
        try {
          const caller = optionalUser(request);
          const result = await verifyChallenge(ctx, answer, clientInfo(request), caller, {
            interactionUid: uid,
          });
          if (result.kind === 'signed_in') setSessionCookie(ctx, reply, result.token, result.session);
          return await finish(request, reply, { login: { accountId: result.user.id, amr: result.session.amr } });
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          if (error.code === 'INVALID_CREDENTIALS') return tryAgain(answer.challengeId, error.message, error.status);
          if (['INVALID_OR_EXPIRED_TOKEN', 'USER_NOT_ACTIVE', 'FORBIDDEN'].includes(error.code)) {
            return startAgain(error.message, error.status);
          }
          throw error;
        }
      }),
    // A malformed answer shows the page again with a message, not a JSON envelope.
    { attachValidation: true },
  );

  routes.serve(ENDPOINTS.confirmConsent, (request, reply) =>
    asPage(reply, async () => {
      const interaction = await details(request, reply);
      if (interaction.prompt.name !== 'consent') throw new errors.InvalidRequest('this step is already complete');
      const grantId = await saveGrant(provider, interaction);
      return finish(request, reply, { consent: { grantId } });
    }),
  );

  routes.serve(ENDPOINTS.abortInteraction, (request, reply) =>
    asPage(reply, async () => {
      await details(request, reply);
      return finish(request, reply, { error: 'access_denied', error_description: 'The user denied access' });
    }),
  );
}

type MissingConsent = {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
};

/** What this consent adds: scopes the app asks for that the user has not yet allowed it. */
function scopesToConsent(interaction: Interaction): string[] {
  const missing = interaction.prompt.details as MissingConsent;
  const resources = Object.values(missing.missingResourceScopes ?? {}).flat();
  return [...new Set([...(missing.missingOIDCScope ?? []), ...resources])];
}

/** Records what the user just allowed, on top of anything they allowed this app before. */
async function saveGrant(provider: Provider, interaction: Interaction): Promise<string> {
  const accountId = interaction.session?.accountId;
  const clientId = String(interaction.params.client_id);
  if (!accountId) throw new errors.InvalidRequest('sign in first');
  const grant =
    (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined) ??
    new provider.Grant({ accountId, clientId });
  const missing = interaction.prompt.details as MissingConsent;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  return grant.save();
}
