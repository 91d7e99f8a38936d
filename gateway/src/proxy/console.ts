import httpProxy from '@fastify/http-proxy';
import { AppError, isConsolePath } from '@gatehouse/contracts';
import type { HttpApp } from '@gatehouse/service-kit/edge';
import { upstreamHeaders } from './headers.js';
import { neverRetry } from './upstream-failure.js';

export interface ConsoleProxyOptions {
  consoleUrl: string;
  /** The forwarded host is pinned to it: a client's Host header never reaches the console. */
  publicUrl: string;
  timeoutMs: number;
}

/**
 * The web console at `/`: every GET outside the API prefixes goes to the console's static server,
 * whose own headers (its strict CSP) reach the browser. It carries no credential: the console is
 * public files, and the browser calls the API itself with its session cookie.
 */
export async function registerConsole(app: HttpApp, options: ConsoleProxyOptions): Promise<void> {
  const publicUrl = new URL(options.publicUrl);
  await app.register(httpProxy, {
    upstream: options.consoleUrl,
    prefix: '/',
    httpMethods: ['GET', 'HEAD'],
    preHandler: async (request) => {
      // An unknown path under an API prefix is the API's 404, never a console page. The query is
      // left out of the message: it may carry a token.
      if (!isConsolePath(request.url))
        throw new AppError('NOT_FOUND', `Route ${request.method} ${request.url.split('?')[0]} not found`);
    },
    replyOptions: {
      timeout: options.timeoutMs,
      retryDelay: neverRetry,
      // Without cookies or credentials (upstreamHeaders drops them): the console needs none.
      rewriteRequestHeaders: (request, headers) =>
        upstreamHeaders(headers, {
          principalToken: '',
          requestId: request.id,
          clientIp: request.ip,
          proto: publicUrl.protocol.slice(0, -1),
          host: publicUrl.host,
        }),
    },
  });
}
