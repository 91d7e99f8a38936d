import { validationError } from '@gatehouse/contracts';
import type { FastifyRequest } from 'fastify';
import { cookieValue } from '../credentials/extract.js';
import { checkCrossSite } from '../edges/cross-site.js';
import { endpointLimitKeys } from '../rate-limit/limiter.js';
import { consumeLimits, type PipelineDeps, resolveIfValid, signPrincipal } from './pipeline.js';

const INTERACTION = /^\/oauth2\/interaction\//;
/** Where a browser arrives: the authorization endpoint (and its resume step), the pages, logout. */
const BROWSER = /^\/oauth2\/(?:auth|interaction|session\/end)(?:\/|$)/;
const LOGIN_FORM = /^\/oauth2\/interaction\/[^/]+\/login$/;
/** The second-factor step of the login page (submitMfa). */
const MFA_FORM = /^\/oauth2\/interaction\/[^/]+\/mfa$/;

/**
 * The email typed into the login form (the gateway reads that form as text). A form repeating
 * the field is refused: the authorization server would read a list, the limit only one of it.
 */
function formEmail(body: unknown): string | undefined {
  return formField(body, 'email');
}

/** One field of a form the gateway reads as text; given twice, refused (see formEmail). */
function formField(body: unknown, field: string): string | undefined {
  if (typeof body !== 'string') return undefined;
  const values = new URLSearchParams(body).getAll(field);
  if (values.length > 1) {
    throw validationError([{ field, error: 'must be given once', location: 'body' }]);
  }
  return values[0];
}

/** The limits of a form post: the login form's are sign-in's, the second-factor form's are verifyMfa's. */
function formLimits(request: FastifyRequest, path: string) {
  if (request.method !== 'POST') return {};
  if (LOGIN_FORM.test(path)) {
    return endpointLimitKeys('signIn', request.ip, { email: formEmail(request.body) }, undefined);
  }
  if (MFA_FORM.test(path)) {
    return endpointLimitKeys(
      'mfaVerify',
      request.ip,
      { challengeId: formField(request.body, 'challengeId') },
      undefined,
    );
  }
  return {};
}

/**
 * What happens to every authorization-server request before it is proxied: the per-IP limit
 * (plus the sign-in limits on the login form, per IP and per email, as for the JSON sign-in, and the
 * second-factor limits on its MFA step, per IP and per account), the cross-site check on the interaction forms,
 * and, where a browser arrives, the Gatehouse session resolved into the principal: a signed-in
 * browser skips the login form, and a signed-out one is asked to log in again. Clients authenticate to oidc-provider itself, so nothing else is checked here.
 */
export function createOAuthPipeline(deps: PipelineDeps) {
  async function admit(request: FastifyRequest): Promise<void> {
    request.gateway = { match: null, principal: { kind: 'anonymous' }, limit: null };
    const path = request.url.split('?')[0] ?? '';
    await consumeLimits(deps, request, { ip: request.ip, ...formLimits(request, path) });
    if (!BROWSER.test(path)) return;
    if (INTERACTION.test(path)) checkCrossSite(request.method, request.headers, deps.allowedOrigins);
    const session = cookieValue(request.headers.cookie, deps.cookieName);
    // A stale cookie just means the login form is shown; an outage is still an outage.
    if (session) request.gateway.principal = await resolveIfValid(deps, { kind: 'session', secret: session });
  }

  return async function oauthPreHandler(request: FastifyRequest): Promise<void> {
    await admit(request);
    await signPrincipal(deps, request);
  };
}
