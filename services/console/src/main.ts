import {
  ConfigError,
  createLogger,
  installProcessErrorHandlers,
  loadConfig,
  onShutdown,
} from '@gatehouse/service-kit/web';
import { buildConsole } from './app.js';
import { ConsoleConfig } from './config.js';

let config: ConsoleConfig;
try {
  config = loadConfig(ConsoleConfig);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`console: ${error.message}`);
  process.exit(1);
}
const logger = createLogger('console', config.LOG_LEVEL);
installProcessErrorHandlers(logger);
try {
  const app = await buildConsole(config, logger);
  await app.listen({ host: config.HOST, port: config.PORT });
  onShutdown(logger, [() => app.close()]);
} catch (error) {
  logger.fatal({ err: error }, 'console cannot start');
  console.error(`console: ${(error as Error).message}`);
  process.exit(1);
}
