import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy';
import { OIDC_SCOPES, TOKEN_SCOPES } from '@gatehouse/contracts';
import type { HttpApp } from '@gatehouse/service-kit/edge';
import type { FastifyRequest } from 'fastify';
import { AUTHORIZATION_SERVER_ANSWERS, guardAnswers } from './envelope-guard.js';
import { upstreamHeaders } from './headers.js';
import { neverRetry } from './upstream-failure.js';

export const OAUTH_PREFIX = '/oauth2';
/** RFC 8414 §3: the metadata of issuer https://host/oauth2 lives at /.well-known/oauth-authorization-server/oauth2. */
const AUTHORIZATION_SERVER_METADATA = `/.well-known/oauth-authorization-server${OAUTH_PREFIX}`;
/** RFC 9728: how a client finds the authorization server for this API. */
const PROTECTED_RESOURCE_METADATA = '/.well-known/oauth-protected-resource';
const INTERACTION_PREFIX = `${OAUTH_PREFIX}/interaction`;
const FORM_BODY_LIMIT = 16_384;

export function isAuthorizationServerPath(url: string): boolean {
  return url.startsWith(`${OAUTH_PREFIX}/`) || url === OAUTH_PREFIX || url.startsWith(AUTHORIZATION_SERVER_METADATA);
}

export interface AuthorizationServerOptions {
  identityUrl: string;
  publicUrl: string;
  timeoutMs: number;
  sessionCookieName: string;
  preHandler: (request: FastifyRequest) => Promise<void>;
  /** Sends through identity's circuit breaker, which answers its failures (see upstream-breaker.ts). */
  handler: FastifyHttpProxyOptions['handler'];
  /** What the client receives of identity's answer headers (revocations purged, internal ones gone). */
  answerHeaders: NonNullable<NonNullable<FastifyHttpProxyOptions['replyOptions']>['rewriteHeaders']>;
}

/**
 * The authorization server (oidc-provider in identity) behind the one public URL. Bodies are
 * passed as they are (form posts, Basic client authentication); the gateway adds its
 * limits and the signed principal, and pins the forwarded host to the public URL so the
 * endpoints discovery advertises cannot be steered by a client's Host header.
 */
export async function registerAuthorizationServer(app: HttpApp, options: AuthorizationServerOptions): Promise<void> {
  const publicUrl = new URL(options.publicUrl);
  const proxy = (prefix: string, rewritePrefix: string, proxyPayloads: boolean): FastifyHttpProxyOptions => ({
    upstream: options.identityUrl,
    prefix,
    rewritePrefix,
    proxyPayloads,
    preHandler: options.preHandler,
    handler: options.handler,
    replyOptions: {
      timeout: options.timeoutMs,
      retryDelay: neverRetry,
      onResponse: guardAnswers(AUTHORIZATION_SERVER_ANSWERS),
      rewriteHeaders: options.answerHeaders,
      rewriteRequestHeaders: (request, headers) =>
        upstreamHeaders(
          headers,
          {
            principalToken: request.gateway.principalToken ?? '',
            requestId: request.id,
            clientIp: request.ip,
            proto: publicUrl.protocol.slice(0, -1),
            host: publicUrl.host,
          },
          { sessionCookieName: options.sessionCookieName },
        ),
    },
  });
  await app.register(httpProxy, proxy(OAUTH_PREFIX, OAUTH_PREFIX, true));
  await app.register(
    httpProxy,
    proxy(AUTHORIZATION_SERVER_METADATA, `${OAUTH_PREFIX}/.well-known/openid-configuration`, true),
  );
  // The login and consent forms are read here (as the text they are, forwarded unchanged), so
  // the sign-in limit per email applies to the login form as it does to the JSON sign-in. They are
  // forms and nothing else: a JSON body would carry an email the limit cannot read (415).
  await app.register(async (forms) => {
    forms.removeAllContentTypeParsers();
    forms.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    await forms.register(httpProxy, proxy(INTERACTION_PREFIX, INTERACTION_PREFIX, false));
  });

  app.get(PROTECTED_RESOURCE_METADATA, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=3600');
    return {
      resource: options.publicUrl,
      authorization_servers: [`${options.publicUrl}${OAUTH_PREFIX}`],
      scopes_supported: [...TOKEN_SCOPES, ...OIDC_SCOPES],
      bearer_methods_supported: ['header'],
    };
  });
}
