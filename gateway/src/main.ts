import {
  ConfigError,
  createLogger,
  installProcessErrorHandlers,
  loadConfig,
  serveWhenReady,
} from '@gatehouse/service-kit/edge';
import { buildGateway } from './app.js';
import { GatewayConfig } from './config.js';
import { createGatewayDeps } from './deps.js';
import { startMetricsServer } from './metrics-server.js';

let config: GatewayConfig;
try {
  config = loadConfig(GatewayConfig);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`gateway: ${error.message}`);
  process.exit(1);
}
const logger = createLogger('gateway', config.LOG_LEVEL);
installProcessErrorHandlers(logger);
try {
  // Listens at once (alive, not ready) and serves when NATS is there; Redis is optional.
  await serveWhenReady({
    name: 'gateway',
    host: config.HOST,
    port: config.GATEWAY_PORT,
    logger,
    connect: () => createGatewayDeps(config, logger),
    // With METRICS_PORT, the metrics listener starts with the real app and closes with it (on shutdown).
    build: async (deps) => {
      const app = await buildGateway(deps);
      const metricsPort = config.METRICS_PORT;
      if (metricsPort !== undefined) await startMetricsServer(app, { host: config.HOST, port: metricsPort, logger });
      return app;
    },
  });
} catch (error) {
  logger.fatal({ err: error }, 'gateway cannot start');
  console.error(`gateway: ${(error as Error).message}`);
  process.exit(1);
}
