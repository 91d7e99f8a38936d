import { join } from 'node:path';
import { LOG_LEVELS, type LogLevel, packageRoot } from '@gatehouse/service-kit/web';
import { type Static, Type } from 'typebox';

/** Where `pnpm build` writes the single-page app (services/console/dist/web, beside the compiled server). */
export const DEFAULT_DIST_DIR = join(packageRoot(import.meta.url), 'dist/web');

export const ConsoleConfig = Type.Object({
  HOST: Type.String({ default: '127.0.0.1' }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 4004 }),
  /** The built app: index.html and its hashed assets. */
  CONSOLE_DIST_DIR: Type.String({ minLength: 1, default: DEFAULT_DIST_DIR }),
  LOG_LEVEL: Type.Unsafe<LogLevel>({ type: 'string', enum: [...LOG_LEVELS], default: 'info' }),
});
export type ConsoleConfig = Static<typeof ConsoleConfig>;
