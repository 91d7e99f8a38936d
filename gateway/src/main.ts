import { ConfigError, DependencyError, loadConfig, onShutdown } from '@gatehouse/service-kit';
import { buildGateway } from './app.js';
import { GatewayConfig } from './config.js';
import { createGatewayDeps } from './deps.js';

try {
  const config = loadConfig(GatewayConfig);
  const deps = await createGatewayDeps(config);
  const app = await buildGateway(deps);
  await app.listen({ host: config.HOST, port: config.GATEWAY_PORT });
  onShutdown(deps.logger, [() => app.close(), () => deps.close()]);
} catch (error) {
  if (error instanceof ConfigError || error instanceof DependencyError) {
    console.error(`gateway: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
