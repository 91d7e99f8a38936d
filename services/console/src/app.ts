import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { AppError } from '@gatehouse/contracts';
import { createHttpApp, type HttpApp, type Logger, registerHealth } from '@gatehouse/service-kit/web';
import type { ConsoleConfig } from './config.js';
import { CONSOLE_HEADERS } from './security-headers.js';

/** Hashed by the build: a new build has new names, so a browser may keep these for a year. */
const ASSETS_PREFIX = '/assets/';
/** A path with an extension is a file; one without is a page of the app (its router shows it). */
const FILE_PATH = /\.[A-Za-z0-9]+$/;

export class ConsoleNotBuiltError extends Error {
  constructor(dir: string) {
    super(`the console is not built: no index.html in ${dir} (run pnpm build)`);
  }
}

/**
 * The console's own process: the built single-page app as static files. Any page path answers
 * index.html (the app routes in the browser); a missing file is a 404. It holds no secret and
 * calls nothing: the browser talks to the API through the gateway, which serves this at `/`.
 */
export async function buildConsole(config: ConsoleConfig, logger: Logger): Promise<HttpApp> {
  if (!existsSync(join(config.CONSOLE_DIST_DIR, 'index.html'))) throw new ConsoleNotBuiltError(config.CONSOLE_DIST_DIR);
  const app = createHttpApp({ logger, bodyLimit: 1024 });
  // Ready while it can serve the app: the built files are still there (a volume can go away).
  const indexHtml = join(config.CONSOLE_DIST_DIR, 'index.html');
  registerHealth(app, 'console', { app: () => access(indexHtml) });
  app.addHook('onSend', async (request, reply) => {
    reply.headers(CONSOLE_HEADERS);
    const immutable = request.url.startsWith(ASSETS_PREFIX) && reply.statusCode === 200;
    reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  });
  await app.register(fastifyStatic, {
    root: config.CONSOLE_DIST_DIR,
    wildcard: false,
    index: false,
    serveDotFiles: false,
    // cache-control is set above: a file's own max-age would outlive the next build.
    cacheControl: false,
  });
  // Files are routes of their own (above); every other path is a page of the app.
  app.get('/*', (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (path.startsWith(ASSETS_PREFIX) || FILE_PATH.test(path)) throw new AppError('NOT_FOUND', 'No such file');
    return reply.type('text/html; charset=utf-8').sendFile('index.html');
  });
  return app;
}
