import type { Logger } from './logger.js';

/**
 * On SIGINT/SIGTERM runs the steps in order (stop accepting and drain HTTP first, then
 * workers, NATS and the database), then exits. A stuck step cannot hold the process forever.
 */
export function onShutdown(logger: Logger, steps: Array<() => Promise<unknown>>, graceMs = 10_000): void {
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, graceMs);
    force.unref();
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        logger.warn({ err: error }, 'shutdown step failed');
      }
    }
    process.exit(0);
  };
  process.once('SIGINT', () => void close('SIGINT'));
  process.once('SIGTERM', () => void close('SIGTERM'));
}
