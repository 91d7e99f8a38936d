import baseConfig from '../../vitest.config.js';

/**
 * The end-to-end suites run against the scale-out system (GATEHOUSE_TARGET_URL): the repository's
 * settings, but one file at a time (they share one system, and their generated emails are unique per
 * process, not across processes) and no console build (the target serves its own; a suite's stack
 * gets the one the outer run built, SCALE_OUT_CONSOLE_DIST_DIR).
 */
export default {
  ...baseConfig,
  test: {
    ...baseConfig.test,
    fileParallelism: false,
    globalSetup: ['test/scale-out/provide-console.ts'],
  },
};
